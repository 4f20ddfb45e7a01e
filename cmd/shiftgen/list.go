package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/shiftgen/shiftgen/shifts"
)

// listedShift is one element of `shiftgen list --json`.
type listedShift struct {
	Name        string         `json:"name"`
	Kind        shifts.Kind    `json:"kind"`
	Description string         `json:"description"`
	Params      []shifts.Param `json:"params"`
}

func listCommand() *cli.Command {
	return &cli.Command{
		Name:  "list",
		Usage: "list every shift with its kind, parameters and description",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print a JSON array for tools"}},
		Action: func(c *cli.Context) error {
			var all []listedShift
			for _, e := range shifts.Entries() {
				p := e.Params
				if p == nil {
					p = []shifts.Param{}
				}
				all = append(all, listedShift{Name: e.Name, Kind: e.Kind, Description: e.Description, Params: p})
			}
			if c.Bool("json") {
				enc := json.NewEncoder(c.App.Writer)
				enc.SetIndent("", "  ")
				return enc.Encode(all)
			}
			tw := tabwriter.NewWriter(c.App.Writer, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tKIND\tPARAMETERS (default)\tDESCRIPTION")
			for _, s := range all {
				var ps []string
				for _, p := range s.Params {
					ps = append(ps, p.Name+"="+p.DefaultString())
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name, s.Kind, strings.Join(ps, ","), s.Description)
			}
			for _, p := range shifts.Presets() {
				fmt.Fprintf(tw, "%s\tpreset\t\t%s (%d shifts)\n", p.Name, p.Description, len(p.Specs))
			}
			return tw.Flush()
		},
	}
}
