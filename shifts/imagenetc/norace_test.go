//go:build !race

package imagenetc

const raceEnabled = false
