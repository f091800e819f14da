package tracker

import "math/rand/v2"

// sample calls fn for up to n distinct peers drawn uniformly at random among
// those other than self and, when self is a seed, among leechers only: a seed
// has no use for other seeds. The candidates are the seeds and leechers lists
// seen as one (seeds first), and it costs O(n), not O(swarm): a sample much
// smaller than the swarm is drawn by rejecting repeated indices, which reads
// only the peers it picks; one close to the swarm's size by a partial
// Fisher-Yates shuffle in place, where the swarm is O(n) anyway. seen is
// scratch space kept between calls.
func (sw *swarm) sample(self *peer, n int, seen *idxSet, fn func(*peer)) {
	ns, nl := len(sw.seeds), len(sw.leechers)
	selfPos := -1 // self's index among the candidates, if it is one
	if self.seed() {
		ns = 0
	} else {
		selfPos = ns + int(self.idx)
	}
	candidates := ns + nl
	if selfPos >= 0 {
		candidates--
	}
	n = min(n, candidates)
	if n <= 0 {
		return
	}
	if 2*n > candidates {
		sw.sampleDense(self, n, ns, nl, fn)
		return
	}
	// Each draw hits a fresh candidate with probability over 1/2.
	seen.reset(n)
	for got := 0; got < n; {
		i := rand.IntN(ns + nl)
		if i == selfPos || !seen.add(int32(i)) {
			continue
		}
		if i < ns {
			fn(sw.seeds[i])
		} else {
			fn(sw.leechers[i-ns])
		}
		got++
	}
}

// sampleDense is sample for n over half the candidates: a partial
// Fisher-Yates shuffle over the two lists as if they were one (which list the
// next pick comes from is drawn in proportion to what each has left). The
// lists are unordered anyway, so shuffling them in place costs nothing.
func (sw *swarm) sampleDense(self *peer, n, ns, nl int, fn func(*peer)) {
	if !self.seed() {
		// Move self past the end of the leechers' candidates.
		swapIn(sw.leechers, int(self.idx), nl-1)
		nl--
	}
	ps, pl := 0, 0 // picked so far from each list: the first ps/pl entries
	for ps+pl < n {
		if r := rand.IntN(ns - ps + nl - pl); r < ns-ps {
			swapIn(sw.seeds, ps, ps+r)
			fn(sw.seeds[ps])
			ps++
		} else {
			swapIn(sw.leechers, pl, pl+r-(ns-ps))
			fn(sw.leechers[pl])
			pl++
		}
	}
}

// idxSet is a set of small non-negative integers for up to a given number
// of elements: an open-addressing hash table at most a quarter full, so that
// reset and add cost O(1) per element whatever their range.
type idxSet struct {
	slots []int32 // -1: empty
	mask  uint32
}

// reset empties the set and sizes it for n elements.
func (s *idxSet) reset(n int) {
	size := 16
	for size < 4*n {
		size *= 2
	}
	if cap(s.slots) < size {
		s.slots = make([]int32, size)
	}
	s.slots = s.slots[:size]
	s.mask = uint32(size - 1)
	for i := range s.slots {
		s.slots[i] = -1
	}
}

// add inserts v and reports whether it was absent.
func (s *idxSet) add(v int32) bool {
	// The indices are drawn at random, so their low bits hash well enough;
	// multiplying by an odd constant keeps that a permutation.
	for h := (uint32(v) * 2654435769) & s.mask; ; h = (h + 1) & s.mask {
		switch s.slots[h] {
		case v:
			return false
		case -1:
			s.slots[h] = v
			return true
		}
	}
}
