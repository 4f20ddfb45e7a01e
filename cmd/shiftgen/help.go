package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/shiftgen/shiftgen/shifts"
)

// flagString renders one flag for --help: its names and, for a flag taking a value, a
// placeholder (the word between the first two backticks of its usage, else one chosen by
// type); then its usage, "repeatable" for a slice flag, and its default only when the
// flag has a meaningful one the usage does not already state.
func flagString(f cli.Flag) string {
	df, ok := f.(cli.DocGenerationFlag)
	if !ok {
		return fmt.Sprint(f)
	}
	placeholder, usage := unquote(df.GetUsage())
	var names []string
	for _, n := range df.Names() {
		if len(n) == 1 {
			names = append(names, "-"+n)
		} else {
			names = append(names, "--"+n)
		}
	}
	head := strings.Join(names, ", ")
	if df.TakesValue() {
		if placeholder == "" {
			placeholder = typePlaceholder(f)
		}
		head += " " + placeholder
	}
	slice := false
	if sf, ok := f.(cli.DocGenerationSliceFlag); ok && sf.IsSliceFlag() {
		slice = true
		if !strings.Contains(usage, "repeat") {
			usage += "; repeatable"
		}
	}
	if def := strings.Trim(df.GetDefaultText(), `"`); df.TakesValue() && !slice && def != "" && def != "0" && !strings.Contains(usage, "default") {
		usage += " (default: " + def + ")"
	}
	return head + "\t" + usage
}

// unquote returns the word between the first two backticks of usage, and usage with
// those backticks removed.
func unquote(usage string) (string, string) {
	i := strings.IndexByte(usage, '`')
	if i < 0 {
		return "", usage
	}
	j := strings.IndexByte(usage[i+1:], '`')
	if j < 0 {
		return "", usage
	}
	name := usage[i+1 : i+1+j]
	return name, usage[:i] + name + usage[i+2+j:]
}

// typePlaceholder names a flag's value by its type.
func typePlaceholder(f cli.Flag) string {
	switch f.(type) {
	case *cli.IntFlag, *cli.Int64Flag, *cli.UintFlag, *cli.Uint64Flag:
		return "N"
	case *cli.Float64Flag, *cli.Float64SliceFlag:
		return "X"
	}
	return "VALUE"
}

// commandNames lists the app's commands and their aliases.
func commandNames(app *cli.App) []string {
	var names []string
	for _, c := range app.Commands {
		names = append(names, c.Names()...)
	}
	return names
}

// unknownCommand is the usage error for a command that does not exist.
func unknownCommand(app *cli.App, name string) error {
	msg := fmt.Sprintf("shiftgen: no command %q", name)
	if s := shifts.Suggest(name, commandNames(app)); s != "" {
		msg += fmt.Sprintf("; did you mean %s?", s)
	}
	return cli.Exit(msg+" (`shiftgen help` lists the commands)", exitUsage)
}

// unknownFlag adds a suggestion to an "flag provided but not defined" error.
func unknownFlag(flags []cli.Flag, err error) string {
	const prefix = "flag provided but not defined: -"
	msg := err.Error()
	if !strings.HasPrefix(msg, prefix) {
		return msg
	}
	name := strings.TrimLeft(strings.TrimPrefix(msg, prefix), "-")
	dashes := "--"
	if len(name) == 1 {
		dashes = "-"
	}
	var names []string
	for _, f := range flags {
		names = append(names, f.Names()...)
	}
	out := "unknown flag " + dashes + name
	if s := shifts.Suggest(name, names); s != "" {
		d := "--"
		if len(s) == 1 {
			d = "-"
		}
		out += "; did you mean " + d + s + "?"
	}
	return out
}
