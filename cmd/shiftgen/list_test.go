package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/shiftgen/shiftgen/shifts"
)

func TestListJSON(t *testing.T) {
	var out bytes.Buffer
	if code := runTo(context.Background(), []string{"shiftgen", "list", "--json"}, &out); code != 0 {
		t.Fatalf("exit %d", code)
	}
	var got []struct {
		Name        string `json:"name"`
		Kind        string `json:"kind"`
		Description string `json:"description"`
		Params      []struct {
			Name    string   `json:"name"`
			Type    string   `json:"type"`
			Default any      `json:"default"`
			Min     *float64 `json:"min"`
			Max     *float64 `json:"max"`
			Doc     string   `json:"doc"`
		} `json:"params"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	entries := shifts.Entries()
	if len(got) != len(entries) {
		t.Fatalf("%d shifts listed, registry has %d", len(got), len(entries))
	}
	outOfSupport := 0
	names := map[string]string{}
	for i, s := range got {
		if s.Name != entries[i].Name || s.Description == "" {
			t.Errorf("entry %d: %+v", i, s)
		}
		if s.Kind != "in-support" && s.Kind != "out-of-support" {
			t.Errorf("%s: kind %q", s.Name, s.Kind)
		}
		for _, p := range s.Params {
			if p.Name == "" || p.Type == "" || p.Min == nil || p.Max == nil || p.Doc == "" {
				t.Errorf("%s: incomplete parameter %+v", s.Name, p)
			}
		}
		names[s.Name] = s.Kind
		if s.Kind == "out-of-support" {
			outOfSupport++
		}
	}
	// Every out-of-support transform has its in-support spurious- twin; the paper's
	// in-support shifts are there.
	for name, kind := range names {
		if kind == "out-of-support" && name != "unseen-tint" && names["spurious-"+name] != "in-support" {
			t.Errorf("%s has no spurious- twin", name)
		}
	}
	for _, n := range []string{"spurious-tint", "label-shift", "unseen-tint", "vflip", "pad"} {
		if _, ok := names[n]; !ok {
			t.Errorf("%s missing", n)
		}
	}
	if outOfSupport < 15 {
		t.Errorf("%d out-of-support shifts, want at least 15", outOfSupport)
	}
	var table bytes.Buffer
	runTo(context.Background(), []string{"shiftgen", "list"}, &table)
	if !strings.Contains(table.String(), "spurious-tint") || strings.Count(table.String(), "\n") != len(entries)+1+len(shifts.Presets()) {
		t.Errorf("table listing:\n%s", table.String())
	}
}
