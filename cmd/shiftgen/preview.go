package main

import "github.com/urfave/cli/v2"

func previewCommand() *cli.Command {
	return &cli.Command{Name: "preview", Usage: "write a PNG contact sheet of shifts on sample images"}
}
