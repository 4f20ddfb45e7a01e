package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
)

// Exit codes (documented in doc.go and the README).
const (
	exitError       = 1
	exitUsage       = 2
	exitSkipped     = 3
	exitVerify      = 4
	exitInterrupted = 130
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args))
}

func newApp() *cli.App {
	cli.FlagStringer = flagString
	app := &cli.App{
		Name:            "shiftgen",
		Usage:           "generate in-support and out-of-support distribution shifts and measure effective robustness",
		Version:         versionString(),
		HideVersion:     true,
		HideHelpCommand: false,
		Commands: []*cli.Command{
			generateCommand(),
			listCommand(),
			previewCommand(),
			evalCommand(),
			reproduceCommand(),
			indexCommand(),
			splitCommand(),
			verifyCommand(),
			regenerateCommand(),
			mergeCommand(),
			versionCommand(),
		},
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   onUsageError,
		// A word that is no command is a usage error with a suggestion; no words, the
		// overview.
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return unknownCommand(c.App, c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
		// A shift spec such as spurious-tint:p=0.7,alpha=0.3 holds commas: every slice
		// flag takes one value per use and is repeated for more.
		DisableSliceFlagSeparator: true,
	}
	for _, c := range app.Commands {
		if c.OnUsageError == nil {
			c.OnUsageError = onUsageError
		}
	}
	return app
}

// onUsageError reports a bad flag or argument with exit status 2, suggesting the flag
// a mistyped one probably meant.
func onUsageError(c *cli.Context, err error, _ bool) error {
	name := "shiftgen"
	flags := c.App.Flags
	if c.Command != nil && c.Command.Name != "" {
		name += " " + c.Command.Name
		flags = c.Command.Flags
	}
	return cli.Exit(fmt.Sprintf("%s: %s (see `%s --help`)", name, unknownFlag(flags, err), name), exitUsage)
}

// run executes the app with standard output on os.Stdout and returns the process exit
// code.
func run(ctx context.Context, args []string) int { return runTo(ctx, args, os.Stdout) }

// runTo is run with standard output sent to stdout.
func runTo(ctx context.Context, args []string, stdout io.Writer) int {
	app := newApp()
	app.Writer = stdout
	err := app.RunContext(ctx, args)
	if err == nil {
		return 0
	}
	var ec cli.ExitCoder
	if errors.As(err, &ec) && ec.ExitCode() == 3 && strings.HasPrefix(err.Error(), "No help topic for '") {
		// `shiftgen help NAME` for a NAME that is no command: a usage error, not the
		// "skipped inputs" status.
		err = unknownCommand(app, strings.TrimSuffix(strings.TrimPrefix(err.Error(), "No help topic for '"), "'"))
	}
	if errors.As(err, &ec) {
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(os.Stderr, msg)
		}
		return ec.ExitCode()
	}
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "shiftgen: interrupted;", interruptHint(args))
		return exitInterrupted
	}
	fmt.Fprintln(os.Stderr, "shiftgen:", err)
	if isUsage(err) || strings.HasPrefix(err.Error(), "Required flag") {
		return exitUsage
	}
	return exitError
}

// interruptHint says what to run after an interrupted command (args as typed).
func interruptHint(args []string) string {
	cmd := ""
	resume := false
	for _, a := range args[1:] {
		if a == "--resume" || a == "-resume" {
			resume = true
		}
		if cmd == "" && !strings.HasPrefix(a, "-") {
			cmd = a
		}
	}
	switch cmd {
	case "generate":
		if resume {
			return "the images written so far are kept: run the same command again to continue"
		}
		return "the images written so far are kept: run the same command with --resume to continue"
	case "merge":
		return "the shards are untouched: run the same command again"
	}
	return "nothing was left under a final name: run the same command again"
}
