package gcfloor

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		floor, live uint64
		want        int
	}{
		{64 * mib, 4 * mib, 1500},    // goal 4 × 16 = 64 MiB
		{64 * mib, 32 * mib, 100},    // twice the live heap reaches the floor
		{64 * mib, 100 * mib, 100},   // above the floor: Go's default
		{64 * mib, 0, 100},           // nothing measured yet
		{64 * mib, 1024, maxPercent}, // bounded
		{64 * mib, 3 * mib, 2033},    // 64/3 = 21.33 → 2133 − 100
		{64 * mib, 21 * mib, 204},    // 64/21 = 3.047 → 304 − 100
	} {
		if got := Percent(tc.floor, tc.live); got != tc.want {
			t.Errorf("Percent(%d MiB, %d B) = %d, want %d", tc.floor/mib, tc.live, got, tc.want)
		}
	}
}

// TestStartFewerCollections: allocating the same garbage with a floor of
// 256 MiB takes far fewer collections than with Go's default, and stop
// gives the default back.
func TestStartFewerCollections(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a few GiB")
	}
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	runtime.GC()
	churn := func() uint32 {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		n0 := ms.NumGC
		for range 20000 {
			sink = make([]byte, 64<<10)
		}
		runtime.ReadMemStats(&ms)
		return ms.NumGC - n0
	}
	plain := churn()
	stop := Start(256 << 20)
	runtime.GC() // a collection arms the floor for the live heap
	time.Sleep(10 * time.Millisecond)
	floored := churn()
	stop()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("after stop the percentage is %d, want the 100 of before", got)
	}
	t.Logf("collections for 1.25 GiB of garbage: %d with Go's default, %d with a 256 MiB floor", plain, floored)
	if floored*4 > plain {
		t.Errorf("%d collections with the floor against %d without: want at most a quarter", floored, plain)
	}
}

var sink []byte

// TestStartOverlapping: two floors in force at once (two nodes in one
// process), stopped in either order, leave the percentage of before.
func TestStartOverlapping(t *testing.T) {
	before := debug.SetGCPercent(150)
	defer debug.SetGCPercent(before)
	runtime.GC() // a live heap to set the percentage for
	for _, firstStopsFirst := range []bool{true, false} {
		a := Start(256 << 20)
		b := Start(512 << 20)
		if got := gogc(); got <= 150 {
			t.Errorf("with two floors the percentage is %d", got)
		}
		if firstStopsFirst {
			a()
			b()
		} else {
			b()
			a()
		}
		a() // a second stop changes nothing
		if got := gogc(); got != 150 {
			t.Errorf("stopped in order first=%v: the percentage is %d, want the 150 of before", firstStopsFirst, got)
		}
	}
}

// gogc is the GOGC percentage in force.
func gogc() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}
