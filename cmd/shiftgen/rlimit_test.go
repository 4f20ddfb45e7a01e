package main

import (
	"strconv"
	"syscall"
)

// limitFileSize sets RLIMIT_FSIZE, so writes past n bytes fail as on a full disk.
func limitFileSize(n string) {
	v, _ := strconv.ParseUint(n, 10, 64)
	syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: v, Max: v})
}
