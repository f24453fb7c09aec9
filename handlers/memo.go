package handlers

import "sync"

// memo remembers values that follow from their key alone (a rendered
// layout, a decoded session), for many requests at once. It holds at most
// size entries: past that it starts afresh, which costs a recomputation
// of each value still in use.
type memo[K comparable, V any] struct {
	size int

	mu sync.Mutex
	m  map[K]V
}

func (m *memo[K, V]) get(key K) (V, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.m[key]
	return v, ok
}

func (m *memo[K, V]) put(key K, v V) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil || len(m.m) >= m.size {
		m.m = make(map[K]V)
	}
	m.m[key] = v
}
