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
	}
	for _, c := range app.Commands {
		if c.OnUsageError == nil {
			c.OnUsageError = onUsageError
		}
	}
	return app
}

// onUsageError reports a bad flag or argument with exit status 2.
func onUsageError(c *cli.Context, err error, _ bool) error {
	name := "shiftgen"
	if c.Command != nil && c.Command.Name != "" {
		name += " " + c.Command.Name
	}
	return cli.Exit(fmt.Sprintf("%s: %v (see `%s --help`)", name, err, name), exitUsage)
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
	if errors.As(err, &ec) {
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(os.Stderr, msg)
		}
		return ec.ExitCode()
	}
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "shiftgen: interrupted:", err)
		return exitInterrupted
	}
	fmt.Fprintln(os.Stderr, "shiftgen:", err)
	if isUsage(err) || strings.HasPrefix(err.Error(), "Required flag") {
		return exitUsage
	}
	return exitError
}
