package main

import "github.com/urfave/cli/v2"

func splitCommand() *cli.Command {
	return &cli.Command{Name: "split", Usage: "(not yet available)"}
}
