package main

import (
	"fmt"
	"runtime"

	"github.com/shiftgen/shiftgen/pipeline/imageio"

	"github.com/urfave/cli/v2"

	"github.com/shiftgen/shiftgen/pipeline"
)

func versionString() string {
	return fmt.Sprintf("%s (codec %s, %s, %s/%s)", pipeline.Version, imageio.DefaultCodec().Name(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print shiftgen's version and the codec it was built with",
		Action: func(c *cli.Context) error {
			fmt.Fprintln(c.App.Writer, "shiftgen", versionString())
			return nil
		},
	}
}
