package projections

// entryChunk is how many entries one block of an entryStore holds.
const entryChunk = 8192

// entryStore keeps the timelines' entries in fixed-size blocks: appending
// never moves the entries already held (a single slice of a million ~250-
// byte entries was copied whole each time it grew, which was a fifth of a
// rebuild), and an entry's address stays valid.
//
// Each entry's sort key is also kept in a compact array beside it: the
// indexes' ordered inserts and searches compare keys only, and reading them
// from the entries themselves missed the cache on every step.
type entryStore struct {
	blocks [][]Entry
	keys   [][]key
	n      int
}

func (s *entryStore) len() int { return s.n }

func (s *entryStore) key(x int32) key {
	return s.keys[int(x)/entryChunk][int(x)%entryChunk]
}

func (s *entryStore) at(x int32) *Entry {
	return &s.blocks[int(x)/entryChunk][int(x)%entryChunk]
}

// add appends e and returns its index.
func (s *entryStore) add(e Entry) int32 {
	if s.n%entryChunk == 0 {
		s.blocks = append(s.blocks, make([]Entry, 0, entryChunk))
		s.keys = append(s.keys, make([]key, 0, entryChunk))
	}
	b := &s.blocks[len(s.blocks)-1]
	*b = append(*b, e)
	k := &s.keys[len(s.keys)-1]
	*k = append(*k, e.key())
	s.n++
	return int32(s.n - 1)
}

func (s *entryStore) reset() { *s = entryStore{} }
