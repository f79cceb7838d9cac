package stream

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/synco-dev/synco/schemas"
)

// The benchmarks run a fixed amount of work per b.N (use -benchtime=Nx): events or
// orders, whose rate is reported as events/s or orders/s. bench/processor.sh runs
// them as recorded in bench/RESULTS.md.

// rawBody is the size of the webhook body an event carries whole (Shopify's sample
// order is ~12 KB).
const rawBody = 12 << 10

// benchLog is the processor's log at info, as it runs, written nowhere.
func benchLog() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// BenchmarkLoop: events through the transactional loop (decode, state read, decide,
// encode, changelog + command + outcome produced, input offsets committed, store
// commit) on kfake in process, 12 partitions, each order created then paid. The
// events are produced before the timer starts; the time runs from the processor's
// assignment to the commit of the last input offset.
func BenchmarkLoop(b *testing.B) {
	b.Run("webhook=undecoded", benchmarkUndecoded)
	for _, raw := range []int{0, rawBody} {
		b.Run(fmt.Sprintf("raw=%dKiB", raw>>10), func(b *testing.B) {
			e := newEnv(b, 12, slog.LevelWarn)
			body := []byte(`{"note":"` + strings.Repeat("x", max(raw-11, 0)) + `"}`)
			if raw == 0 {
				body = nil
			}
			orders := int64(max(b.N/2, 1))
			e.produceGenerated(2*orders, func(i int64) *schemas.OrderEvent {
				return event(i%orders+1, int(i/orders), body)
			})
			b.ResetTimer()
			start := time.Now()
			r := e.start("bench", b.TempDir(), func(d *Deps) { d.Log, d.TransactionEvents = benchLog(), benchTxnEvents(b) })
			waitAssigned(b, r)
			assigned, cpu0 := time.Now(), cpuTime(b)
			e.waitProcessed(10 * time.Minute)
			took, cpu := time.Since(assigned), cpuTime(b)-cpu0
			b.StopTimer()
			r.stop()
			b.ReportMetric(float64(2*orders)/took.Seconds(), "events/s")
			// CPU of the whole process (processor, kfake, franz-go, GC) per event: on a
			// shared machine, steadier than the rate.
			b.ReportMetric(float64(cpu.Microseconds())/float64(2*orders), "cpu-µs/event")
			b.ReportMetric(assigned.Sub(start).Seconds(), "startup-s")
		})
	}
}

// benchmarkUndecoded: events as ingest now produces them for a webhook: the order
// left in Shopify's body (DecodeRaw), the processor decodes it (shopify/order) before
// deciding. The body is Shopify's orders/create sample (12 KB), with the order's id
// and updated_at set per event.
func benchmarkUndecoded(b *testing.B) {
	sample, err := os.ReadFile("../../shopify/order/testdata/orders_create.json")
	if err != nil {
		b.Fatalf("Shopify's sample body: %v", err)
	}
	const sampleID, sampleUpdated = "820982911946154508", `"updated_at": "2021-12-31T19:00:00-05:00"`
	if strings.Count(string(sample), sampleID) != 2 || !strings.Contains(string(sample), sampleUpdated) {
		b.Fatal("the sample body changed: the benchmark cannot set its id and version")
	}
	e := newEnv(b, 12, slog.LevelWarn)
	orders := int64(max(b.N/2, 1))
	e.produceGenerated(2*orders, func(i int64) *schemas.OrderEvent {
		id, n := 900_000_000_000+i%orders, i/orders
		updated := time.Date(2021, 12, 31, 19, int(n), 0, 0, time.UTC)
		body := strings.ReplaceAll(string(sample), sampleID, strconv.FormatInt(id, 10))
		body = strings.Replace(body, sampleUpdated, `"updated_at": "`+updated.Format(time.RFC3339)+`"`, 1)
		return &schemas.OrderEvent{EventID: fmt.Sprintf("wh-%d-%d", id, n), Shop: shop, OrderID: id, Topic: "orders/updated",
			Origin: schemas.OriginWebhook, ReceivedAt: t0, Raw: []byte(body), DecodeRaw: true, Version: updated.UnixMilli(),
			Order: schemas.Order{ID: id}}
	})
	b.ResetTimer()
	r := e.start("bench", b.TempDir(), func(d *Deps) { d.Log, d.TransactionEvents = benchLog(), benchTxnEvents(b) })
	waitAssigned(b, r)
	assigned, cpu0 := time.Now(), cpuTime(b)
	e.waitProcessed(30 * time.Minute)
	took, cpu := time.Since(assigned), cpuTime(b)-cpu0
	b.StopTimer()
	r.stop()
	if n := len(e.readAll(schemas.TopicOrdersDLQ)); n > 0 {
		b.Fatalf("%d events went to the dead-letter topic", n)
	}
	b.ReportMetric(float64(2*orders)/took.Seconds(), "events/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(2*orders), "cpu-µs/event")
}

func waitAssigned(tb testing.TB, r *running) {
	tb.Helper()
	stop := time.Now().Add(time.Minute)
	for r.p.assignments.Load() == 0 {
		if time.Now().After(stop) {
			tb.Fatal("processor not assigned within a minute")
		}
		time.Sleep(time.Millisecond)
	}
}

// produceGenerated produces n events made by gen, a batch at a time (bounded memory).
func (e *env) produceGenerated(n int64, gen func(i int64) *schemas.OrderEvent) {
	e.tb.Helper()
	const batch = 5000
	evs := make([]*schemas.OrderEvent, 0, batch)
	for i := int64(0); i < n; i++ {
		evs = append(evs, gen(i))
		if len(evs) == batch || i == n-1 {
			e.produce(evs...)
			evs = evs[:0]
		}
	}
}

// produceChangelog writes n order states straight to the changelog (as a processor
// that decided n orders would have), a batch at a time.
func (e *env) produceChangelog(n int64) {
	e.tb.Helper()
	ctx := context.Background()
	const batch = 5000
	recs := make([]*kgo.Record, 0, batch)
	for id := int64(1); id <= n; id++ {
		ev := event(id, 0, nil)
		st := schemas.OrderState{Shop: shop, OrderID: id, Version: ev.Order.UpdatedAt.UnixMilli(), Seq: 1,
			RecentEventIDs: []string{ev.EventID}, Commanded: true, Order: ev.Order}
		v, err := e.serde.Encode(schemas.TopicProcessorState, &st)
		if err != nil {
			e.tb.Fatal(err)
		}
		recs = append(recs, &kgo.Record{Topic: schemas.TopicProcessorState, Key: []byte(key(id)), Value: v})
		if len(recs) == batch || id == n {
			if err := e.prod.ProduceSync(ctx, recs...).FirstErr(); err != nil {
				e.tb.Fatal(err)
			}
			recs = recs[:0]
		}
	}
}

// BenchmarkRestore: orders restored from the changelog into an empty store (a new
// instance, or a deleted store), 12 partitions, kfake in process.
func BenchmarkRestore(b *testing.B) {
	e := newEnv(b, 12, slog.LevelWarn)
	e.produceChangelog(int64(b.N))
	b.ResetTimer()
	cpu0 := cpuTime(b)
	took := e.restoreAll(b, b.TempDir(), int64(b.N))
	cpu := cpuTime(b) - cpu0
	b.StopTimer()
	b.ReportMetric(float64(b.N)/took.Seconds(), "orders/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/order")
}

// restoreAll restores every partition into a new store under dir and checks that
// want records were applied.
func (e *env) restoreAll(tb testing.TB, dir string, want int64) time.Duration {
	tb.Helper()
	p := New(Deps{ClientOpts: e.clientOpts("bench-restore"), Serde: e.serde, Settings: e.settings, Log: benchLog(), StateDir: dir})
	closeStore, err := p.openStore()
	if err != nil {
		tb.Fatal(err)
	}
	defer closeStore()
	parts := make([]int32, e.parts)
	for i := range parts {
		parts[i] = int32(i)
	}
	start := time.Now()
	if err := p.restore(context.Background(), parts); err != nil {
		tb.Fatal(err)
	}
	took := time.Since(start)
	if got := p.restored.Load(); got != want {
		tb.Fatalf("restored %d records, want %d", got, want)
	}
	return took
}

// BenchmarkMillionOrders: 1,000,000 orders in state. The broker runs in a child
// process (kfake, the same code), so this process's peak RSS is the processor's own:
// the restore of the million orders into an empty store, then 100,000 events (new
// snapshots of known orders) through the loop against that state. Reported: restore
// orders/s, loop events/s, peak RSS of each phase. One op = the whole run (-benchtime=1x).
func BenchmarkMillionOrders(b *testing.B) {
	const orders, updates = 1_000_000, 100_000
	for range b.N {
		brokers := startKafkaChild(b)
		e := newEnvOn(b, brokers, 12)
		e.produceChangelog(orders)
		dir := b.TempDir()

		settle()
		resetPeakRSS(b)
		stopSampling, stopProfile := sampleGoHeap(), profilePhase(b, "restore")
		rcpu0 := cpuTime(b)
		took := e.restoreAll(b, dir, orders)
		restoreCPU := cpuTime(b) - rcpu0
		restoreRSS, restoreHeap := peakRSS(b), stopSampling()
		stopProfile()

		e.produceGenerated(updates, func(i int64) *schemas.OrderEvent { return event(i*(orders/updates)+1, 1, nil) })
		settle()
		resetPeakRSS(b)
		stopSampling, stopProfile = sampleGoHeap(), profilePhase(b, "loop")
		r := e.start("million", dir, func(d *Deps) { d.Log, d.TransactionEvents = benchLog(), benchTxnEvents(b) })
		waitAssigned(b, r)
		assigned, cpu0 := time.Now(), cpuTime(b)
		e.waitProcessed(10 * time.Minute)
		loop, cpu := time.Since(assigned), cpuTime(b)-cpu0
		loopRSS, loopHeap := peakRSS(b), stopSampling()
		stopProfile()
		r.stop()
		b.ReportMetric(float64(restoreHeap)/(1<<20), "restore-peak-go-heap-MiB")
		b.ReportMetric(float64(loopHeap)/(1<<20), "loop-peak-go-heap-MiB")
		b.ReportMetric(float64(cpu.Microseconds())/updates, "loop-cpu-µs/event")

		b.ReportMetric(float64(orders)/took.Seconds(), "restore-orders/s")
		b.ReportMetric(float64(restoreCPU.Nanoseconds())/orders, "restore-cpu-ns/order")
		b.ReportMetric(float64(restoreRSS)/(1<<20), "restore-peak-RSS-MiB")
		b.ReportMetric(float64(updates)/loop.Seconds(), "events/s")
		b.ReportMetric(float64(loopRSS)/(1<<20), "loop-peak-RSS-MiB")
	}
}

// cpuTime is the CPU time (user + system) this process used so far.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// profilePhase writes a CPU profile of a phase and a heap profile 3 s into it to
// $STREAM_BENCH_PROFILE-<phase>.cpu and .heap, when that variable names a prefix.
func profilePhase(tb testing.TB, phase string) func() {
	prefix := os.Getenv("STREAM_BENCH_PROFILE")
	if prefix == "" {
		return func() {}
	}
	cpu, err := os.Create(prefix + "-" + phase + ".cpu")
	if err != nil {
		tb.Fatal(err)
	}
	if err := pprof.StartCPUProfile(cpu); err != nil {
		tb.Fatal(err)
	}
	heap := time.AfterFunc(3*time.Second, func() {
		if f, err := os.Create(prefix + "-" + phase + ".heap"); err == nil {
			pprof.Lookup("heap").WriteTo(f, 0)
			f.Close()
		}
	})
	return func() {
		heap.Stop()
		pprof.StopCPUProfile()
		cpu.Close()
	}
}

// sampleGoHeap samples the Go heap in use every 50 ms; the returned func stops and
// returns the highest sample (what of the peak RSS is Go's own).
func sampleGoHeap() func() uint64 {
	done, peak := make(chan struct{}), make(chan uint64)
	go func() {
		var m runtime.MemStats
		var hi uint64
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				peak <- hi
				return
			case <-t.C:
				runtime.ReadMemStats(&m)
				hi = max(hi, m.HeapInuse+m.StackInuse)
			}
		}
	}()
	return func() uint64 { close(done); return <-peak }
}

// settle returns what the set-up phase allocated to the OS, so the peak RSS that
// follows is the measured phase's.
func settle() {
	runtime.GC()
	debug.FreeOSMemory()
}

// resetPeakRSS restarts the kernel's VmHWM count for this process.
func resetPeakRSS(tb testing.TB) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		tb.Fatalf("reset peak RSS (/proc/self/clear_refs, Linux): %v", err)
	}
}

// peakRSS is the process's peak resident set since the last reset (VmHWM), in bytes.
func peakRSS(tb testing.TB) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		tb.Fatalf("peak RSS (/proc/self/status, Linux): %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	tb.Fatal("no VmHWM in /proc/self/status")
	return 0
}

const kafkaChildEnv = "SYNCO_STREAM_BENCH_KAFKA_CHILD"

// TestMain lets the test binary serve as the benchmark's broker process.
func TestMain(m *testing.M) {
	if os.Getenv(kafkaChildEnv) != "" {
		runKafkaChild()
		return
	}
	os.Exit(m.Run())
}

// runKafkaChild serves kfake until its stdin closes, printing its address first.
func runKafkaChild() {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.DefaultNumPartitions(12))
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("addr", c.ListenAddrs()[0])
	io.Copy(io.Discard, os.Stdin)
	c.Close()
}

func startKafkaChild(tb testing.TB) []string {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), kafkaChildEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start the broker process: %v", err)
	}
	tb.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if f := strings.Fields(line); err != nil || len(f) != 2 || f[0] != "addr" {
		tb.Fatalf("broker process: %q %v", line, err)
	}
	return []string{strings.Fields(line)[1]}
}

// newEnvOn is newEnv on a broker elsewhere (no fault injection).
func newEnvOn(tb testing.TB, brokers []string, parts int32) *env {
	tb.Helper()
	return newEnvWith(tb, parts, slog.LevelWarn, brokers)
}

// benchTxnEvents is SYNCO_BENCH_TXN_EVENTS (the processor's transaction_events), 0
// for the default: bench/processor.sh measures the setting's trade-off with it.
func benchTxnEvents(b *testing.B) int {
	v := os.Getenv("SYNCO_BENCH_TXN_EVENTS")
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("SYNCO_BENCH_TXN_EVENTS=%q: want a positive number", v)
	}
	return n
}
