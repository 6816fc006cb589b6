package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// days is a duration flag that also takes days, as people give an expiry:
// 3d, 1d12h, 72h.
type days struct{ d *time.Duration }

func (v days) String() string {
	if v.d == nil || *v.d == 0 {
		return "0s"
	}
	return v.d.String()
}

func (v days) Type() string { return "duration" }

func (v days) Set(s string) error {
	d, err := parseDays(s)
	if err != nil {
		return err
	}
	*v.d = d
	return nil
}

// parseDays is time.ParseDuration with a leading count of days allowed.
func parseDays(s string) (time.Duration, error) {
	neg := strings.HasPrefix(s, "-")
	rest := strings.TrimPrefix(s, "-")
	var d time.Duration
	if n, after, ok := strings.Cut(rest, "d"); ok {
		count, err := strconv.ParseUint(n, 10, 16)
		if err != nil {
			return 0, fmt.Errorf("%q: want a duration such as 3d, 1d12h or 72h", s)
		}
		d, rest = time.Duration(count)*24*time.Hour, after
	}
	if rest != "" {
		more, err := time.ParseDuration(rest)
		if err != nil || more < 0 {
			return 0, fmt.Errorf("%q: want a duration such as 3d, 1d12h or 72h", s)
		}
		d += more
	}
	if neg {
		d = -d
	}
	return d, nil
}
