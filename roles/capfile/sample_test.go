package capfile

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestSample converts every project of testdata/sample, written in the
// style of public Capistrano 2 and 3 projects (Rails, PHP, Node, Java,
// Go; multistage; restart, migrate, assets and maintenance tasks), and
// reports how much of it converts.
func TestSample(t *testing.T) {
	testEnv(t)
	dirs, err := filepath.Glob(filepath.Join("testdata", "sample", "*"))
	if err != nil || len(dirs) < 20 {
		t.Fatalf("sample: %d projects (%v), want at least 20", len(dirs), err)
	}
	converted, lines, linesGo, untranslated := 0, 0, 0, 0
	for _, dir := range dirs {
		res, err := convertSample(dir)
		name := filepath.Base(dir)
		if err != nil {
			t.Logf("%s: not converted: %v (%d lines untranslated)", name, err, len(res.untranslated()))
			continue
		}
		converted++
		lines += res.TaskLines
		linesGo += res.TaskLinesGo
		untranslated += len(res.Untranslated)
		if err := parseLoose(res.YAML); err != nil {
			t.Errorf("%s: roles.Parse refuses the output: %v", name, err)
		}
		checkGo(t, res.Go)
		t.Logf("%s (stage %q): %d untranslated lines, task lines in Go %d/%d", name, res.Stage, len(res.Untranslated), res.TaskLinesGo, res.TaskLines)
	}
	share := 100 * converted / len(dirs)
	goShare := 0
	if lines > 0 {
		goShare = 100 * linesGo / lines
	}
	t.Logf("sample: %d/%d projects converted (%d%%); task lines translated to Go: %d/%d (%d%%); %d lines untranslated in all",
		converted, len(dirs), share, linesGo, lines, goShare, untranslated)
	if share < 90 {
		t.Errorf("only %d%% of the sample converts, want at least 90%%", share)
	}
	if goShare < 70 {
		t.Errorf("only %d%% of the task lines became Go, want at least 70%%", goShare)
	}
}

// convertSample converts a project, choosing production (else the first
// stage) when it has stages.
func convertSample(dir string) (*Result, error) {
	res, err := ConvertProject(Project{Dir: dir}, Options{})
	if err != nil && res != nil && len(res.Stages) > 0 && strings.Contains(err.Error(), "give stage=NAME") {
		stage := res.Stages[0]
		if slices.Contains(res.Stages, "production") {
			stage = "production"
		}
		res, err = ConvertProject(Project{Dir: dir, Stage: stage}, Options{})
	}
	if res == nil {
		res = &Result{}
	}
	return res, err
}

func (r *Result) untranslated() []Line {
	if r == nil {
		return nil
	}
	return r.Untranslated
}

// TestSampleDump writes each sample's conversion under $CAPFILE_SAMPLE_OUT,
// for reading them.
func TestSampleDump(t *testing.T) {
	out := os.Getenv("CAPFILE_SAMPLE_OUT")
	if out == "" {
		t.Skip("set CAPFILE_SAMPLE_OUT to a directory to write the conversions there")
	}
	testEnv(t)
	dirs, _ := filepath.Glob(filepath.Join("testdata", "sample", "*"))
	for _, dir := range dirs {
		res, err := convertSample(dir)
		name := filepath.Join(out, filepath.Base(dir))
		if err != nil {
			os.WriteFile(name+".err", []byte(err.Error()+"\n"+describeLines(res.Untranslated)), 0o644)
			continue
		}
		os.WriteFile(name+".yaml", res.YAML, 0o644)
		if res.Go != nil {
			os.WriteFile(name+".go", res.Go, 0o644)
		}
	}
}
