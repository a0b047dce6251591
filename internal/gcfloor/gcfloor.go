// Package gcfloor keeps the garbage collector from running while the heap
// is small: it lets the heap grow to a floor (or to twice the live heap,
// Go's own goal, when that is larger) before the next collection.
//
// With Go's default (GOGC=100) the collector runs each time the heap has
// doubled. A node's live heap is small (a few MiB: certificates, caches,
// pools), while every message allocates a few hundred KiB, so it collects
// every dozen messages and a sixth of its CPU goes to the collector. A floor
// of 32 MiB makes that one collection in about a hundred messages, for at
// most that much more memory (a node's resident memory stays under 64 MiB
// whatever the size of its payloads); a node whose live heap is larger
// than half the floor is left as Go runs it.
//
// After each collection the floor is turned into a GOGC percentage for the
// next: the heap goal is live × (1 + GOGC/100), so GOGC = floor/live×100 −
// 100, at least 100. A GOMEMLIMIT still bounds the heap as the runtime
// documents (the collector runs earlier when the limit is near).
package gcfloor

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// Default is the floor of a node (oots serve's heapFloor): 32 MiB.
const Default = 32 << 20

// Configured is the floor a process runs with for a configured setting
// (oots serve's heapFloor): 0 for Default, -1 for none, else the setting
// in bytes; none at all when the GOGC environment variable is set, which
// wins over any floor. It returns 0 for none.
func Configured(setting int64, getenv func(string) string) uint64 {
	switch {
	case getenv("GOGC") != "", setting < 0:
		return 0
	case setting == 0:
		return Default
	}
	return uint64(setting)
}

// maxPercent bounds the GOGC percentage set for a tiny live heap.
const maxPercent = 10000

// Percent returns the GOGC percentage that puts the heap goal at the floor
// for a live heap of live bytes: at least 100 (Go's default), at most
// maxPercent.
func Percent(floor, live uint64) int {
	if live == 0 || floor <= 2*live {
		return 100
	}
	p := (floor/live)*100 + (floor%live)*100/live - 100
	return int(min(max(p, 100), maxPercent))
}

// Start holds the heap to floor bytes from now on, until stop is called.
// Floors started at once (several nodes in one process) combine: the
// largest one in force holds; when the last is stopped the collector gets
// back the percentage it had before the first.
func Start(floor uint64) (stop func()) {
	mu.Lock()
	defer mu.Unlock()
	if len(floors) == 0 {
		before = debug.SetGCPercent(100)
		chain++
		arm(chain)
	}
	next++
	id := next
	floors[id] = floor
	debug.SetGCPercent(Percent(highest(), liveHeap()))
	return func() {
		mu.Lock()
		defer mu.Unlock()
		if _, ok := floors[id]; !ok {
			return
		}
		delete(floors, id)
		if len(floors) == 0 {
			chain++ // ends the cleanups of this chain
			debug.SetGCPercent(before)
			return
		}
		debug.SetGCPercent(Percent(highest(), liveHeap()))
	}
}

var (
	mu     sync.Mutex
	floors = map[uint64]uint64{} // the floors in force, by Start
	next   uint64                // the id of the last Start
	before int                   // the percentage before the first floor
	chain  uint64                // the cleanup chain in force; others stop
)

// highest is the largest floor in force.
func highest() uint64 {
	var h uint64
	for _, f := range floors {
		h = max(h, f)
	}
	return h
}

// arm registers a cleanup that runs after the next collection that finds
// its object unreachable, that is after the next collection: it sets the
// percentage for the live heap that collection left, and arms the next.
func arm(gen uint64) {
	obj := new([64]byte) // not a tiny allocation, so collected alone
	runtime.AddCleanup(obj, func(gen uint64) {
		mu.Lock()
		defer mu.Unlock()
		if gen != chain || len(floors) == 0 {
			return
		}
		debug.SetGCPercent(Percent(highest(), liveHeap()))
		arm(gen)
	}, gen)
}

// liveHeap is the heap the last collection left live.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
