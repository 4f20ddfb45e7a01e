package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
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
	return &cli.App{
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
			mergeCommand(),
			versionCommand(),
		},
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return cli.Exit(fmt.Sprintf("shiftgen: %v (see `shiftgen %s --help`)", err, c.Command.Name), exitUsage)
		},
	}
}

// run executes the app and returns the process exit code.
func run(ctx context.Context, args []string) int {
	err := newApp().RunContext(ctx, args)
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
	if isUsage(err) {
		return exitUsage
	}
	return exitError
}
