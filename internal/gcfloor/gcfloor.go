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

// Start holds the heap to floor bytes from now on, until stop is called,
// which gives the collector back its percentage of before. One floor at a
// time per process: a second Start replaces the first's.
func Start(floor uint64) (stop func()) {
	mu.Lock()
	defer mu.Unlock()
	current++
	gen := current
	before := debug.SetGCPercent(Percent(floor, liveHeap()))
	arm(gen, floor)
	return func() {
		mu.Lock()
		defer mu.Unlock()
		if current == gen {
			current++ // disarms the cleanup chain
			debug.SetGCPercent(before)
		}
	}
}

var (
	mu      sync.Mutex
	current uint64 // generation of the floor in force; cleanups of others stop
)

// arm registers a cleanup that runs after the next collection that finds
// its object unreachable, that is after the next collection: it sets the
// percentage for the live heap that collection left, and arms the next.
func arm(gen, floor uint64) {
	obj := new([64]byte) // not a tiny allocation, so collected alone
	runtime.AddCleanup(obj, func(floor uint64) {
		mu.Lock()
		defer mu.Unlock()
		if current != gen {
			return
		}
		debug.SetGCPercent(Percent(floor, liveHeap()))
		arm(gen, floor)
	}, floor)
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
