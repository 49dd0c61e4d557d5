//go:build ignore

// goroutines exercises the Go runtime's concurrency under emulation:
// several OS threads (GOMAXPROCS 4), goroutines, channels, select, timers,
// sync.WaitGroup/Mutex/Once, atomics, a goroutine spinning without
// function calls (stopping it for a garbage collection needs signal-based
// preemption), allocation heavy enough for many garbage collections, maps
// and panic/recover. Output is deterministic.
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	runtime.GOMAXPROCS(4)
	workers()
	pingPong()
	selects()
	timers()
	mutexes()
	preemption()
	garbage()
	maps()
	panics()
	fmt.Println("done")
}

// workers fans ranges out to goroutines and sums the results.
func workers() {
	jobs := make(chan [2]int)
	results := make(chan int64, 16)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				s := int64(0)
				for i := int64(j[0]); i < int64(j[1]); i++ {
					s += i * i % 7
				}
				results <- s
			}
		}()
	}
	go func() {
		for i := 0; i < 100; i++ {
			jobs <- [2]int{i * 1000, (i + 1) * 1000}
		}
		close(jobs)
	}()
	go func() { wg.Wait(); close(results) }()
	total, n := int64(0), 0
	for s := range results {
		total += s
		n++
	}
	fmt.Println("workers:", n, "results, total", total)
}

// pingPong passes a counter back and forth over unbuffered channels.
func pingPong() {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
		close(pong)
	}()
	v := 0
	for i := 0; i < 2000; i++ {
		ping <- v
		v = <-pong
	}
	close(ping)
	_, ok := <-pong
	fmt.Println("ping-pong:", v, "closed", !ok)
}

// selects: ready channels, a default case, a timeout and a nil channel.
func selects() {
	a, b := make(chan string, 1), make(chan string, 1)
	a <- "a"
	got := []string{}
	for i := 0; i < 2; i++ {
		select {
		case s := <-a:
			got = append(got, s)
			b <- "b"
		case s := <-b:
			got = append(got, s)
		}
	}
	select {
	case <-a:
		got = append(got, "unexpected")
	default:
		got = append(got, "default")
	}
	var never chan int
	select {
	case <-never:
		got = append(got, "never")
	case <-time.After(20 * time.Millisecond):
		got = append(got, "timeout")
	}
	fmt.Println("select:", strings.Join(got, " "))
}

// timers: Sleep, a Ticker, AfterFunc and a stopped timer.
func timers() {
	start := time.Now()
	time.Sleep(15 * time.Millisecond)
	slept := time.Since(start) >= 15*time.Millisecond

	tk := time.NewTicker(3 * time.Millisecond)
	ticks := 0
	for range tk.C {
		if ticks++; ticks == 5 {
			break
		}
	}
	tk.Stop()

	fired := make(chan bool)
	time.AfterFunc(5*time.Millisecond, func() { fired <- true })
	stopped := time.NewTimer(time.Hour)
	fmt.Println("timers: slept", slept, "ticks", ticks, "afterfunc", <-fired, "stop", stopped.Stop())
}

// mutexes: a Mutex-protected counter, an RWMutex map, Once and atomics.
func mutexes() {
	var mu sync.Mutex
	var rw sync.RWMutex
	var once sync.Once
	var wg sync.WaitGroup
	var atom atomic.Int64
	count, onces := 0, 0
	m := map[int]int{}
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				mu.Lock()
				count++
				mu.Unlock()
				atom.Add(2)
				if i%100 == 0 {
					rw.Lock()
					m[g*100+i/100]++
					rw.Unlock()
				} else {
					rw.RLock()
					_ = m[i]
					rw.RUnlock()
				}
				once.Do(func() { onces++ })
				if i%500 == 0 {
					runtime.Gosched()
				}
			}
		}(g)
	}
	wg.Wait()
	fmt.Println("mutex:", count, "atomic", atom.Load(), "map", len(m), "once", onces)
}

// preemption runs goroutines that loop without a function call (no
// cooperative preemption point) while the main goroutine forces garbage
// collections, which must stop them: the runtime preempts them with
// signals sent to their threads.
func preemption() {
	var stop atomic.Bool
	var spins [3]atomic.Int64
	var wg sync.WaitGroup
	for i := range spins {
		wg.Add(1)
		go func(c *atomic.Int64) {
			defer wg.Done()
			n := int64(0)
			for !stop.Load() {
				n++
			}
			c.Store(n)
		}(&spins[i])
	}
	time.Sleep(5 * time.Millisecond)
	for i := 0; i < 3; i++ {
		runtime.GC()
	}
	stop.Store(true)
	wg.Wait()
	fmt.Println("preemption: spinners stopped, GCs done")
}

type node struct {
	next *node
	data []byte
}

// garbage allocates a few hundred megabytes in short-lived objects while
// keeping a linked list alive, and checks the list afterwards.
func garbage() {
	var keep *node
	sum := int64(0)
	for i := 0; i < 100000; i++ {
		b := make([]byte, 64+i%1024)
		b[0] = byte(i)
		sum += int64(b[0])
		if i%1000 == 0 {
			keep = &node{next: keep, data: b}
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	n, check := 0, 0
	for p := keep; p != nil; p = p.next {
		n++
		check += int(p.data[0])
	}
	fmt.Println("garbage: sum", sum, "kept", n, "check", check, "NumGC>0", ms.NumGC > 0, "NumGC>=4", ms.NumGC >= 4)
}

// maps: word counts, deletion, iteration sorted.
func maps() {
	words := strings.Fields(strings.Repeat("the quick brown fox jumps over the lazy dog and the cat ", 50))
	counts := map[string]int{}
	for _, w := range words {
		counts[w]++
	}
	delete(counts, "cat")
	big := map[int]string{}
	for i := 0; i < 50000; i++ {
		big[i*7919%100003] = fmt.Sprint(i)
	}
	for i := 0; i < 50000; i += 2 {
		delete(big, i*7919%100003)
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&sb, " %s=%d", k, counts[k])
	}
	fmt.Println("maps:"+sb.String(), "big", len(big), big[7919])
}

type myErr struct{ code int }

func (e *myErr) Error() string { return fmt.Sprint("my error ", e.code) }

// catch runs f and returns what it panicked with, as a string.
func catch(f func()) (s string) {
	defer func() {
		r := recover()
		switch v := r.(type) {
		case runtime.Error:
			s = "runtime error: " + strings.TrimPrefix(v.Error(), "runtime error: ")
		case error:
			var me *myErr
			if errors.As(v, &me) {
				s = fmt.Sprint("myErr ", me.code)
			} else {
				s = "error " + v.Error()
			}
		case nil:
			s = "no panic"
		default:
			s = fmt.Sprint("value ", v)
		}
	}()
	f()
	return
}

// panics: runtime errors from faults (nil pointer: a SIGSEGV turned into a
// panic), division by zero (SIGFPE), bounds, nil map writes, and
// panics with values, in goroutines too.
func panics() {
	var np *node
	var nm map[string]int
	zero := 0
	idx := 5
	s := []int{1, 2, 3}
	results := []string{
		catch(func() { _ = np.data }),
		catch(func() { fmt.Println(10 / zero) }),
		catch(func() { _ = s[idx] }),
		catch(func() { nm["x"] = 1 }),
		catch(func() { panic(&myErr{42}) }),
		catch(func() { panic("plain") }),
		catch(func() {}),
	}
	done := make(chan string)
	go func() { done <- catch(func() { panic(fmt.Errorf("in goroutine")) }) }()
	results = append(results, <-done)
	for _, r := range results {
		fmt.Println("panic:", r)
	}
	fmt.Fprintln(os.Stderr, "stderr works")
}
