//go:build race

package imagenetc

const raceEnabled = true
