package runner

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// Shard is one part K of N of a partition of scenario files, so CI can fan
// a library out over N machines (`annex run --shard K/N`).
type Shard struct{ K, N int }

// ParseShard reads "K/N" with 1 ≤ K ≤ N.
func ParseShard(s string) (Shard, error) {
	k, n, ok := strings.Cut(s, "/")
	ki, err1 := strconv.Atoi(strings.TrimSpace(k))
	ni, err2 := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err1 != nil || err2 != nil || ni < 1 || ki < 1 || ki > ni {
		return Shard{}, fmt.Errorf("shard %q: want K/N with 1 ≤ K ≤ N, e.g. 2/5", s)
	}
	return Shard{K: ki, N: ni}, nil
}

// String is "K/N".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.K, s.N) }

// Holds reports whether f belongs to this shard. The shard of a file
// depends on its key alone (FNV-1a of the key, modulo N): every file is in
// exactly one shard, and adding or removing other files moves no file.
func (s Shard) Holds(f File) bool {
	h := fnv.New64a()
	h.Write([]byte(f.Key))
	return int(h.Sum64()%uint64(s.N)) == s.K-1
}

// Select keeps the files of this shard, in order.
func (s Shard) Select(files []File) []File {
	var out []File
	for _, f := range files {
		if s.Holds(f) {
			out = append(out, f)
		}
	}
	return out
}
