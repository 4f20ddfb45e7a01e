package main

import (
	"github.com/urfave/cli/v2"

	"github.com/shiftgen/shiftgen/pipeline"
)

// styleImagesFlag is --style-images, shared by generate and preview.
var styleImagesFlag = &cli.StringFlag{Name: "style-images", Usage: "`DIR` of style images (paintings, renditions, another camera) for fda, histogram-match and colour-transfer, or \"generated\" for the generated styles (the default with the embedded sample)"}

// styleImages returns --style-images, or the generated styles when neither it nor --in
// is given: the embedded sample comes with generated styles, a user's dataset needs the
// user's own style images.
func styleImages(c *cli.Context) string {
	if s := c.String("style-images"); s != "" || c.String("in") != "" {
		return s
	}
	return pipeline.GeneratedStyles
}
