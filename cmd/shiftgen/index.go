package main

import "github.com/urfave/cli/v2"

func indexCommand() *cli.Command {
	return &cli.Command{Name: "index", Usage: "(not yet available)"}
}
