package runner_test

import (
	"fmt"
	"testing"

	"github.com/annexlab/annex/scenarios/runner"
)

// TestShardStableWhenFilesAdded: adding files moves no existing file to
// another shard, and every file is in exactly one shard.
func TestShardStableWhenFilesAdded(t *testing.T) {
	var files []runner.File
	for i := range 40 {
		files = append(files, runner.File{Key: fmt.Sprintf("alma/s%02d.yaml", i)})
	}
	shardOf := func(f runner.File) int {
		n := 0
		for k := 1; k <= 4; k++ {
			if (runner.Shard{K: k, N: 4}).Holds(f) {
				if n != 0 {
					t.Fatalf("%s is in shards %d and %d", f.Key, n, k)
				}
				n = k
			}
		}
		if n == 0 {
			t.Fatalf("%s is in no shard", f.Key)
		}
		return n
	}
	before := map[string]int{}
	for _, f := range files {
		before[f.Key] = shardOf(f)
	}
	more := append(files, runner.File{Key: "aleph/new.yaml"}, runner.File{Key: "alma/a-new.yaml"})
	for _, f := range more[:len(files)] {
		if got := shardOf(f); got != before[f.Key] {
			t.Errorf("%s moved from shard %d to %d when files were added", f.Key, before[f.Key], got)
		}
	}
	for _, s := range []string{"0/3", "4/3", "1", "a/b", "1/0"} {
		if _, err := runner.ParseShard(s); err == nil {
			t.Errorf("ParseShard(%q) accepted", s)
		}
	}
}

// FuzzParseShard: a shard that parses has 1 ≤ K ≤ N and prints back to
// what parses to it. Seeds are under testdata/fuzz/FuzzParseShard.
func FuzzParseShard(f *testing.F) {
	f.Add("3/4")
	f.Fuzz(func(t *testing.T, s string) {
		sh, err := runner.ParseShard(s)
		if err != nil {
			return
		}
		if sh.K < 1 || sh.K > sh.N {
			t.Fatalf("ParseShard(%q) = %+v", s, sh)
		}
		if again, err := runner.ParseShard(sh.String()); err != nil || again != sh {
			t.Fatalf("%q → %v → %v, %v", s, sh, again, err)
		}
	})
}
