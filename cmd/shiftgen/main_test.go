package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"testing"
)

// TestMain lets tests run this test binary as the shiftgen command itself: with
// SHIFTGEN_AS_MAIN=1 in the environment it behaves as `shiftgen ARGS...`, so crash and
// fault tests can kill or constrain a real process without building anything.
func TestMain(m *testing.M) {
	if os.Getenv("SHIFTGEN_AS_MAIN") == "1" {
		if os.Getenv("SHIFTGEN_TEST_FSIZE") != "" {
			limitFileSize(os.Getenv("SHIFTGEN_TEST_FSIZE"))
			signal.Ignore(syscall.SIGXFSZ)
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, append([]string{"shiftgen"}, os.Args[1:]...))
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}
