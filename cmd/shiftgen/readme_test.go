package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
)

// The README check (`make readme-check`, and part of `make test`): every ```console block
// of README.md and of every other tracked README.md runs in a fresh clone of the
// repository, and each command must exit and print as the README shows. The convention,
// stated for readers in the README's "Examples are tested" section:
//
//   - ```console blocks run; blocks of any other language (sh, bash, yaml, none) are
//     shown only.
//   - A line starting with "$ " is a command; a command line ending in "\" continues on
//     the next line. Commands run one after another with bash, from the root of the
//     clone, so files persist from one command and block to the next within one README
//     (shell variables and cd do not).
//   - The lines after a command, up to the next "$ " line or the end of the block, are
//     what it prints: stdout and stderr as a terminal shows them, one stream in the order
//     written. A line keeps what follows its last carriage return (a progress bar
//     redrawn in place shows its last state), and trailing spaces are ignored.
//   - "…" in a line matches any text (timings, hashes, the codec); a line that is only
//     "…" matches any number of lines.
//   - A command must exit with status 0, unless its last line ends with the comment
//     "# exit status N".
//
// The clone is of HEAD plus the working tree's changes to tracked files (new files count
// once added with git add), so what is checked is what a fresh clone would hold after a
// commit, and a fixture that was never added fails the check. bin/shiftgen is built in
// the first clone with `make build` and is on PATH; PREFIX and GOBIN point into the
// test's temporary folder, so `make install` and `go install` there install nothing
// outside it.

// readmeExample is one command of a console block and what it must print.
type readmeExample struct {
	line   int      // 1-based line of the command in its file
	cmd    string   // the command, continuation lines included
	status int      // the expected exit status
	want   []string // the expected output lines
}

var exitComment = regexp.MustCompile(`#\s*exit status (\d+)\s*$`)

// readmeExamples returns the commands of text's ```console blocks in order.
func readmeExamples(text string) ([]readmeExample, error) {
	var out []readmeExample
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimRight(lines[i], " \r") != "```console" {
			continue
		}
		start := i + 1
		var cur *readmeExample
		for i++; i < len(lines); i++ {
			l := strings.TrimRight(lines[i], " \r")
			if l == "```" {
				break
			}
			if strings.HasPrefix(l, "$ ") {
				out = append(out, readmeExample{line: i + 1, cmd: strings.TrimPrefix(l, "$ ")})
				cur = &out[len(out)-1]
				for strings.HasSuffix(l, `\`) && i+1 < len(lines) {
					i++
					l = strings.TrimRight(lines[i], " \r")
					cur.cmd += "\n" + l
				}
				if m := exitComment.FindStringSubmatch(l); m != nil {
					cur.status, _ = strconv.Atoi(m[1])
				}
				continue
			}
			if cur == nil {
				return nil, fmt.Errorf("line %d: output before the first command of the console block at line %d; start commands with \"$ \"", i+1, start)
			}
			cur.want = append(cur.want, l)
		}
		if i == len(lines) {
			return nil, fmt.Errorf("console block at line %d is not closed", start)
		}
	}
	return out, nil
}

// terminalLines splits output into the lines a terminal would show: the text after each
// line's last carriage return, trailing spaces removed.
func terminalLines(out string) []string {
	out = strings.TrimSuffix(out, "\n")
	if out == "" {
		return nil
	}
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if k := strings.LastIndexByte(l, '\r'); k >= 0 {
			l = l[k+1:]
		}
		lines[i] = strings.TrimRight(l, " \t")
	}
	return lines
}

// matchLine reports whether s matches pattern, in which "…" stands for any text.
func matchLine(pattern, s string) bool {
	parts := strings.Split(pattern, "…")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		k := strings.Index(s, p)
		if k < 0 {
			return false
		}
		s = s[k+len(p):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}

// matchLines reports whether got matches want, in which a line "…" stands for any
// number of lines.
func matchLines(want, got []string) bool {
	// ok[i][j]: want[i:] matches got[j:].
	ok := make([][]bool, len(want)+1)
	for i := range ok {
		ok[i] = make([]bool, len(got)+1)
	}
	ok[len(want)][len(got)] = true
	for i := len(want) - 1; i >= 0; i-- {
		for j := len(got); j >= 0; j-- {
			if want[i] == "…" {
				ok[i][j] = ok[i+1][j] || (j < len(got) && ok[i][j+1])
			} else {
				ok[i][j] = j < len(got) && matchLine(want[i], got[j]) && ok[i+1][j+1]
			}
		}
	}
	return ok[0][0]
}

func TestReadmeMatch(t *testing.T) {
	for _, c := range []struct {
		want, got []string
		ok        bool
	}{
		{[]string{"a", "b"}, []string{"a", "b"}, true},
		{[]string{"a", "b"}, []string{"a", "c"}, false},
		{[]string{"a"}, []string{"a", "b"}, false},
		{[]string{"a", "…"}, []string{"a", "b", "c"}, true},
		{[]string{"…", "c"}, []string{"a", "b", "c"}, true},
		{[]string{"…", "b", "…"}, []string{"a", "c"}, false},
		{[]string{"…"}, nil, true},
		{nil, []string{"x"}, false},
		{[]string{"wrote 9 images in … (… images/s)"}, []string{"wrote 9 images in 0.2s (45 images/s)"}, true},
		{[]string{"wrote 9 images in …"}, []string{"wrote 8 images in 0.2s"}, false},
		{[]string{"a…b…b"}, []string{"ab"}, false},
		{[]string{"a…b…b"}, []string{"abb"}, true},
	} {
		if got := matchLines(c.want, c.got); got != c.ok {
			t.Errorf("matchLines(%q, %q) = %v", c.want, c.got, got)
		}
	}
	got := terminalLines("\rbar 10%\rbar 90%\r        \rdone  \nnext\n")
	if strings.Join(got, "|") != "done|next" {
		t.Errorf("terminalLines: %q", got)
	}
	ex, err := readmeExamples("text\n```console\n$ a \\\n    b   # exit status 4\nout 1\n\n$ c\n```\n```sh\n$ d\n```\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(ex) != 2 || ex[0].cmd != "a \\\n    b   # exit status 4" || ex[0].status != 4 || ex[0].line != 3 ||
		strings.Join(ex[0].want, "|") != "out 1|" || ex[1].cmd != "c" || ex[1].want != nil || ex[1].line != 7 {
		t.Errorf("examples: %+v", ex)
	}
	if _, err := readmeExamples("```console\nno prompt\n```\n"); err == nil {
		t.Error("output before a command accepted")
	}
	for l, want := range map[string]string{
		"see [a](b.md) and `x[.]([^/]*)$` there": "see [a](b.md) and  there",
		"[`code`](c.md)":                         "[](c.md)",
		"``a ` b`` [x](y)":                       " [x](y)",
		"a ` b [x](y)":                           "a ` b [x](y)",
	} {
		if got := withoutCodeSpans(l); got != want {
			t.Errorf("withoutCodeSpans(%q) = %q, want %q", l, got, want)
		}
	}
}

// git runs git in dir and returns its standard output.
func git(t *testing.T, dir string, stdin []byte, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.Bytes()
}

// freshClone clones root's HEAD into dst and applies the working tree's changes to
// tracked files.
func freshClone(t *testing.T, root, head string, diff []byte, dst string) {
	t.Helper()
	// --shared: the clone reads root's objects, so HEAD is found even when no branch
	// points at it.
	git(t, root, nil, "clone", "--quiet", "--shared", "--no-checkout", root, dst)
	git(t, dst, nil, "checkout", "--quiet", "--detach", head)
	if len(diff) > 0 {
		git(t, dst, diff, "apply", "--index", "--whitespace=nowarn", "-")
	}
}

// readmeEnv is the environment of the README's commands: the caller's, without what
// would make them behave differently from a fresh shell (make's variables from an outer
// make, scheduler variables, shiftgen's test switches), with PATH, PREFIX and GOBIN set.
func readmeEnv(path, prefix, gobin string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "MAKEFLAGS", k == "MFLAGS", k == "MAKELEVEL", k == "MAKEOVERRIDES", k == "GNUMAKEFLAGS",
			k == "PATH", k == "PREFIX", k == "GOBIN", k == "CDPATH", k == "BASH_ENV", k == "ENV", k == "COLUMNS",
			k == "JOB_COMPLETION_INDEX", strings.HasPrefix(k, "SLURM_"), strings.HasPrefix(k, "SHIFTGEN_"):
			continue
		}
		env = append(env, kv)
	}
	return append(env, "PATH="+path, "PREFIX="+prefix, "GOBIN="+gobin)
}

// runExample runs one command with bash in dir and returns its exit status and its
// output (stdout and stderr on one pipe, as a terminal receives them).
func runExample(dir string, env []string, command string) (int, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "--noprofile", "--norc", "-o", "pipefail", "-c", command)
	cmd.Dir, cmd.Env = dir, env
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out // the same writer: os/exec gives the child one pipe for both
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok && ctx.Err() == nil {
		return ee.ExitCode(), out.String(), nil
	}
	if err != nil {
		return -1, out.String(), fmt.Errorf("%v (output so far:\n%s)", err, out.String())
	}
	return 0, out.String(), nil
}

// TestReadmeExamples runs the README's console examples, and those of every package
// README, in fresh clones (see the convention above).
func TestReadmeExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the README check clones the repository, builds shiftgen and runs every example")
	}
	for _, tool := range []string{"git", "make", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	wd, _ := os.Getwd()
	top, err := exec.Command("git", "-C", wd, "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skip("not in a git checkout: the README check needs one to clone")
	}
	root := strings.TrimSpace(string(top))
	head := strings.TrimSpace(string(git(t, root, nil, "rev-parse", "HEAD")))
	diff := git(t, root, nil, "diff", "--binary", "HEAD")

	tmp := t.TempDir()
	prefix, gobin := filepath.Join(tmp, "prefix"), filepath.Join(tmp, "gobin")
	first := filepath.Join(tmp, "clone")
	freshClone(t, root, head, diff, first)
	// The go that runs this test, ahead of any other.
	path := strings.Join([]string{filepath.Join(prefix, "bin"), filepath.Join(first, "bin"),
		filepath.Join(runtime.GOROOT(), "bin"), os.Getenv("PATH")}, string(os.PathListSeparator))
	env := readmeEnv(path, prefix, gobin)
	if code, out, err := runExample(first, env, "make build"); err != nil || code != 0 {
		t.Fatalf("make build in a fresh clone: exit %d, %v\n%s", code, err, out)
	}

	var files []string
	for _, f := range strings.Fields(string(git(t, first, nil, "ls-files", "--", "README.md", "*/README.md"))) {
		if f == "README.md" {
			files = append([]string{f}, files...)
		} else {
			files = append(files, f)
		}
	}
	for n, file := range files {
		data, err := os.ReadFile(filepath.Join(first, file))
		if err != nil {
			t.Fatal(err)
		}
		examples, err := readmeExamples(string(data))
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		if len(examples) == 0 {
			continue
		}
		t.Run(file, func(t *testing.T) {
			dir := first // the README runs in the clone bin/shiftgen was built in
			if n > 0 {
				dir = filepath.Join(tmp, fmt.Sprintf("clone-%d", n))
				freshClone(t, root, head, diff, dir)
			}
			for _, ex := range examples {
				code, out, err := runExample(dir, env, ex.cmd)
				if err != nil {
					t.Fatalf("%s:%d: $ %s\n%v", file, ex.line, ex.cmd, err)
				}
				got := terminalLines(out)
				if code != ex.status {
					t.Errorf("%s:%d: $ %s\nexit status %d, want %d (mark an expected failure with `# exit status N`); it printed:\n%s",
						file, ex.line, ex.cmd, code, ex.status, strings.Join(got, "\n"))
					return // later commands would fail for this one's sake
				}
				if !matchLines(ex.want, got) {
					t.Errorf("%s:%d: $ %s\nthe README shows:\n%s\nit printed:\n%s",
						file, ex.line, ex.cmd, strings.Join(ex.want, "\n"), strings.Join(got, "\n"))
				}
			}
		})
	}
}

// headingAnchor is the anchor GitHub gives a Markdown heading: lower case, punctuation
// dropped, spaces turned into hyphens.
func headingAnchor(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(h)) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// readmeAnchors returns the anchors of a Markdown file's headings (outside code blocks).
func readmeAnchors(text string) map[string]bool {
	anchors := map[string]bool{}
	fenced := false
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "```") {
			fenced = !fenced
		}
		if !fenced && strings.HasPrefix(l, "#") {
			anchors[headingAnchor(strings.TrimLeft(l, "#"))] = true
		}
	}
	return anchors
}

var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// withoutCodeSpans drops a line's inline code spans, in which Markdown makes no links
// (a regular expression such as `[.]([^/]*)` is text there). A span opens with a run of
// backticks and closes at the next run of the same length; a run that is never closed is
// text.
func withoutCodeSpans(l string) string {
	run := func(s string, i int) int { // length of the backtick run at s[i]
		n := 0
		for i+n < len(s) && s[i+n] == '`' {
			n++
		}
		return n
	}
	var b strings.Builder
	for i := 0; i < len(l); {
		if l[i] != '`' {
			b.WriteByte(l[i])
			i++
			continue
		}
		n := run(l, i)
		end := -1
		for j := i + n; j < len(l); {
			if l[j] != '`' {
				j++
				continue
			}
			m := run(l, j)
			if m == n {
				end = j + m
				break
			}
			j += m
		}
		if end < 0 {
			b.WriteString(l[i : i+n])
			i += n
			continue
		}
		i = end
	}
	return b.String()
}

// TestReadmeLinks: every relative link of every README (outside code blocks and code
// spans) names a file or folder of the repository, and every #anchor a heading of its
// target.
func TestReadmeLinks(t *testing.T) {
	root := "../.."
	var files []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && (d.Name() == ".git" || d.Name() == "out" || d.Name() == "bin") && p != root {
			return filepath.SkipDir
		}
		if err == nil && d.Name() == "README.md" {
			files = append(files, p)
		}
		return nil
	})
	if len(files) < 2 {
		t.Fatalf("READMEs: %v", files)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fenced := false
		for n, l := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(l, "```") {
				fenced = !fenced
			}
			if fenced {
				continue
			}
			for _, m := range mdLink.FindAllStringSubmatch(withoutCodeSpans(l), -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				path, anchor, _ := strings.Cut(target, "#")
				dest := f
				if path != "" {
					dest = filepath.Join(filepath.Dir(f), filepath.FromSlash(path))
				}
				rel, _ := filepath.Rel(root, f)
				info, err := os.Stat(dest)
				if err != nil {
					t.Errorf("%s:%d: link %s: %v", rel, n+1, target, err)
					continue
				}
				if anchor == "" {
					continue
				}
				if info.IsDir() {
					dest = filepath.Join(dest, "README.md")
				}
				text, err := os.ReadFile(dest)
				if err != nil || !readmeAnchors(string(text))[anchor] {
					t.Errorf("%s:%d: link %s: no heading with anchor #%s", rel, n+1, target, anchor)
				}
			}
		}
	}
}
