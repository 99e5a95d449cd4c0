// render_hw3: the tables, the plain-words reading of each result, the CSVs and
// summary.json. Drawing only; every number comes from the Hw3Result.
#include <algorithm>
#include <functional>
#include <thread>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "lab/hw3/hw3.h"
#include "report/output.h"

namespace scalelab::lab {
namespace {

namespace json = boost::json;
using namespace hw3;
using Rows = std::vector<std::vector<std::string>>;

template <typename Row, typename Pred>
const Row* find_row(const std::vector<Row>& rows, Pred pred) {
  auto it = std::find_if(rows.begin(), rows.end(), pred);
  return it == rows.end() ? nullptr : &*it;
}

const CounterRow* counter(const Hw3Result& r, const char* lang, const char* kind) {
  return find_row(r.atomicity.rows, [&](const CounterRow& x) { return x.language == lang && x.kind == kind; });
}
const MapRow* map_row(const Hw3Result& r, const char* lang, const std::string& name, const char* workload) {
  return find_row(r.maps.rows,
                  [&](const MapRow& x) { return x.language == lang && x.name == name && x.workload == workload; });
}
const FileIoRow* file_row(const Hw3Result& r, const char* lang, const char* name) {
  return find_row(r.file_io.rows, [&](const FileIoRow& x) { return x.language == lang && x.name == name; });
}
const SwitchRow* switch_row(const Hw3Result& r, const char* lang, const char* name, bool pinned) {
  return find_row(r.context_switch.rows,
                  [&](const SwitchRow& x) { return x.language == lang && x.name == name && x.pinned == pinned; });
}
const FalseSharingRow* sharing_row(const Hw3Result& r, const char* lang, const char* layout) {
  return find_row(r.false_sharing.rows, [&](const FalseSharingRow& x) { return x.language == lang && x.layout == layout; });
}

std::string f1(double x) { return fmt::format("{:.1f}", x); }
std::string f2(double x) { return fmt::format("{:.2f}", x); }
std::string ratio(double a, double b) { return b > 0 ? fmt::format("{:.1f}x", a / b) : "n/a"; }
std::string syscalls_text(const std::optional<std::uint64_t>& n) { return n ? std::to_string(*n) : "n/a"; }

// --- atomicity ---------------------------------------------------------------

void atomicity_section(report::HtmlReport& page, const Hw3Result& r) {
  page.heading("Atomicity: one counter, many threads");
  Rows rows;
  for (const auto& c : r.atomicity.rows)
    rows.push_back({c.language, c.kind, std::to_string(c.increments), std::to_string(c.expected),
                    std::to_string(c.final_value), std::to_string(c.lost()), f2(c.ns_per_increment)});
  page.table({"language", "counter", "increments per thread", "expected", "final", "lost updates", "ns per increment"},
             rows);
  const auto* plain = counter(r, "C++", "plain");
  const auto* atomic = counter(r, "C++", "atomic");
  const auto* mutex = counter(r, "C++", "mutex");
  const auto* plain_long = counter(r, "C++", "plain-long");
  if (!plain || !atomic || !mutex || !plain_long) return;
  page.paragraph(fmt::format(
      "{} threads x {} increments. The plain counter ended at {} of {}: {} updates were lost. `counter = counter + 1` "
      "is a load, an add and a store; when two threads load the same value, both store value + 1 and one increment "
      "vanishes. {}With {} increments per thread (plain-long) the threads overlap far longer: {} of {} were lost{}. "
      "The atomic counter makes the three steps one indivisible instruction (a locked add), so it ends at {} every "
      "time; the mutex is exact too ({}), at {} ns per increment against the atomic's {} ns (an uncontended lock is "
      "itself one atomic instruction; a contended one can put a thread to sleep). At this size the times mostly "
      "measure how the threads' start-up overlapped, so compare them loosely.",
      r.atomicity.threads, r.atomicity.increments, plain->final_value, plain->expected, plain->lost(),
      plain->lost() == 0 ? "This run happened not to interleave (each thread's few microseconds of work barely "
                           "overlapped another's), which is exactly why races slip through testing: the race is "
                           "still there and ThreadSanitizer reports it (the tsan test). "
                         : "",
      plain_long->increments, plain_long->lost(), plain_long->expected,
      plain_long->lost() == 0 ? " (even so: on this busy 2-core machine the threads probably ran mostly one after another)" : "",
      atomic->final_value, mutex->final_value, f2(mutex->ns_per_increment), f2(atomic->ns_per_increment)));
}

// --- maps ----------------------------------------------------------------------

void maps_section(report::HtmlReport& page, const Hw3Result& r) {
  page.heading("Collections: one map, many writers (and a 90%-read mix)");
  Rows rows;
  for (const auto& m : r.maps.rows)
    rows.push_back({m.language, m.name, m.workload, std::to_string(m.expected), f1(m.entries), f2(m.ms.mean),
                    f2(m.ms.stddev), f2(m.ms.min), f2(m.ms.max), std::to_string(m.ms.runs), m.outcome});
  page.table({"language", "map", "workload", "expected", "entries (mean)", "ms mean", "ms stddev", "ms min", "ms max",
              "runs", "outcome"},
             rows);
  const auto* ul = map_row(r, "C++", "unsynchronised-long", "write");
  if (const auto* u = map_row(r, "C++", "unsynchronised", "write"); u && ul)
    page.paragraph(fmt::format(
        "The unsynchronised std::unordered_map ran in a child process: {}; with {} entries in all "
        "(unsynchronised-long): {}. Concurrent inserts race on the bucket "
        "array and on rehashing, so entries vanish, the heap is corrupted (a crash) or a bucket chain loops (a "
        "hang); none of it is guaranteed, which is what undefined behaviour means. Go detects the same misuse at "
        "run time and stops the program with \"concurrent map writes\".",
        u->outcome == "ok" ? fmt::format("this time every run finished with {:.0f} entries of {}", u->entries, u->expected)
                           : u->outcome,
        ul->expected, ul->outcome == "ok" ? fmt::format("every run finished with {:.0f} entries", ul->entries) : ul->outcome));
  const auto* mw = map_row(r, "C++", "mutex", "write");
  const auto* rw = map_row(r, "C++", "shared_mutex", "write");
  const auto* sw = map_row(r, "C++", "sharded", "write");
  const auto* tw = map_row(r, "C++", "tbb", "write");
  const auto* mr = map_row(r, "C++", "mutex", "read90");
  const auto* rr = map_row(r, "C++", "shared_mutex", "read90");
  const auto* sr = map_row(r, "C++", "sharded", "read90");
  const auto* tr = map_row(r, "C++", "tbb", "read90");
  if (!mw || !rw || !sw || !tw || !mr || !rr || !sr || !tr) return;
  page.paragraph(fmt::format(
      "Writes only: mutex {} ms, shared_mutex {} ms, sharded {} ms, TBB {} ms. With every operation a write, a "
      "reader-writer lock has nothing to share and only adds bookkeeping; sharding and TBB's per-bucket locks let "
      "writers to different keys proceed together, but with {} cores there is little parallelism to win and the "
      "cost of inserting (allocation, hashing) dominates. In the 90%-read mix: mutex {} ms, shared_mutex {} ms "
      "({} the mutex's time), sharded {} ms, TBB {} ms. Readers hold a shared lock together, which is where "
      "reader-writer locks and Go's sync.Map claim to win; {}",
      f2(mw->ms.mean), f2(rw->ms.mean), f2(sw->ms.mean), f2(tw->ms.mean), std::thread::hardware_concurrency(),
      f2(mr->ms.mean), f2(rr->ms.mean), ratio(rr->ms.mean, mr->ms.mean), f2(sr->ms.mean), f2(tr->ms.mean),
      rr->ms.mean + rr->ms.stddev < mr->ms.mean - mr->ms.stddev
          ? "here the shared_mutex did win, by more than the spread of either."
          : (rr->ms.mean < mr->ms.mean ? "here the shared_mutex was faster on average, but within the spread, so "
                                         "the runs do not show a real difference."
                                       : "here it did not: with short critical sections the cost of the lock word "
                                         "bouncing between cores, which readers also write, outweighs the sharing.")));
}

// --- file I/O -------------------------------------------------------------------

void file_io_section(report::HtmlReport& page, const Hw3Result& r) {
  page.heading("File I/O: a system call per line vs a buffer");
  Rows rows;
  for (const auto& f : r.file_io.rows)
    rows.push_back({f.language, f.name, std::to_string(f.lines), f2(f.ms.mean), f2(f.ms.stddev),
                    syscalls_text(f.syscalls)});
  page.table({"language", "writer", "lines", "ms mean", "ms stddev", "write syscalls"}, rows);
  const auto* u = file_row(r, "C++", "unbuffered");
  const auto* b = file_row(r, "C++", "buffered");
  const auto* s = file_row(r, "C++", "buffered+fsync");
  if (!u || !b || !s) return;
  const double us_per_line = u->lines ? u->ms.mean * 1000 / u->lines : 0;
  page.paragraph(fmt::format(
      "Unbuffered made {} write calls for {} lines and took {} ms ({:.2f} us a line); buffered made {} and took {} ms "
      "({} faster). Each write(2) enters the kernel, copies a few bytes into the page cache and returns; the buffer "
      "turns 100,000 entries into a few dozen. Neither reached the disk: the kernel writes the page cache back "
      "later. Adding fsync, which waits for the disk, took {} ms. On this VM a system call costs about 1 us, so the "
      "unbuffered time is mostly system-call overhead; on bare metal a call costs a few hundred ns, so the ratio "
      "shrinks, but the count ratio ({} calls) carries over exactly and buffering still wins by a wide margin. The "
      "fsync figure depends entirely on the (virtual) disk and does not carry over.",
      syscalls_text(u->syscalls), u->lines, f2(u->ms.mean), us_per_line, syscalls_text(b->syscalls), f2(b->ms.mean),
      ratio(u->ms.mean, b->ms.mean), f2(s->ms.mean),
      u->syscalls && b->syscalls && *b->syscalls ? ratio(double(*u->syscalls), double(*b->syscalls)) : "n/a"));
}

// --- context switching ---------------------------------------------------------------

void switch_section(report::HtmlReport& page, const Hw3Result& r) {
  page.heading("Context switching: a hand-off back and forth");
  Rows rows;
  for (const auto& s : r.context_switch.rows)
    rows.push_back({s.language, s.name, s.pinned ? "one core" : "free", std::to_string(s.round_trips),
                    f1(s.ns_per_switch), std::to_string(s.voluntary), std::to_string(s.involuntary)});
  page.table({"language", "hand-off", "cores", "round trips", "ns per switch", "voluntary switches",
              "involuntary switches"},
             rows);
  const auto* cp = switch_row(r, "C++", "condvar", true);
  const auto* cf = switch_row(r, "C++", "condvar", false);
  const auto* pp = switch_row(r, "C++", "pipe", true);
  const auto* pf = switch_row(r, "C++", "pipe", false);
  const auto* co = switch_row(r, "C++", "coroutine", true);
  if (!cp || !cf || !pp || !pf || !co) return;
  page.paragraph(fmt::format(
      "Two threads over a condition variable: {} ns per switch on one core, {} ns free on all cores; over pipes {} "
      "and {} ns. A thread that waits blocks in the kernel and the scheduler runs the other: on one core the "
      "kernel counted {} voluntary switches (a thread blocked) and {} involuntary ones (the woken thread preempted "
      "the waker) for {} round trips, about one per hand-off. Free, the woken thread may run on the other core, "
      "which takes an inter-processor interrupt and moves the cache lines across; here free took {} the pinned "
      "time with the condition variable. The two Asio coroutines on one thread took {} ns "
      "per switch with {} kernel switches: resuming a coroutine is a call in user space, no kernel, no scheduler, "
      "which is why goroutines (and coroutines) are cheap to switch. On this VM kernel switches and interrupts "
      "between cores are slower than on bare metal, so the thread figures are pessimistic there; the coroutine "
      "figure is user-space work and carries over, so the thread/coroutine ratio ({}) is larger here than on bare "
      "metal.",
      f1(cp->ns_per_switch), f1(cf->ns_per_switch), f1(pp->ns_per_switch), f1(pf->ns_per_switch), cp->voluntary,
      cp->involuntary, cp->round_trips, ratio(cf->ns_per_switch, cp->ns_per_switch), f1(co->ns_per_switch), co->voluntary + co->involuntary,
      ratio(cp->ns_per_switch, co->ns_per_switch)));
}

// --- false sharing ----------------------------------------------------------------------

void false_sharing_section(report::HtmlReport& page, const Hw3Result& r) {
  page.heading("False sharing: two counters, one cache line");
  Rows rows;
  for (const auto& f : r.false_sharing.rows)
    rows.push_back({f.language, f.layout, std::to_string(f.threads), std::to_string(f.increments),
                    f2(f.ns_per_increment), f2(f.ns_mean)});
  page.table({"language", "layout", "threads", "increments per thread", "ns per increment (best run)", "ns mean"}, rows);
  const auto* a = sharing_row(r, "C++", "adjacent");
  const auto* p = sharing_row(r, "C++", "padded");
  if (!a || !p) return;
  const bool helped = a->ns_per_increment > p->ns_per_increment * 1.2;
  page.paragraph(fmt::format(
      "Each thread increments only its own counter; adjacent counters took {} ns per increment and padded ones "
      "{} ns ({}). Cores keep memory coherent per 64-byte line: when two cores write the same line, it travels "
      "between their caches on every write although no value is shared, and padding each counter to its own line "
      "removes that traffic. {}",
      f2(a->ns_per_increment), f2(p->ns_per_increment), ratio(a->ns_per_increment, p->ns_per_increment),
      helped ? "Here the padding paid off as expected; on bare metal with idle cores the ratio is typically larger "
               "still."
             : "Here it did not: the effect needs both threads running on two cores at the same moment, and on this "
               "busy shared VM (" + r.machine + ") they probably took turns on one core, where a shared line costs "
               "nothing extra. The figure does not carry over; on bare metal with idle cores adjacent counters are "
               "several times slower."));
}

// The headline figures of both languages side by side, one line.
std::string go_beside(const Hw3Result& r) {
  const auto* cpp_co = switch_row(r, "C++", "coroutine", true);
  const auto* go_ch = switch_row(r, "Go", "channel", true);
  const auto* cpp_rw = map_row(r, "C++", "shared_mutex", "read90");
  const auto* go_rw = map_row(r, "Go", "RWMutex", "read90");
  const auto* go_sm = map_row(r, "Go", "sync.Map", "read90");
  const auto* go_u = map_row(r, "Go", "unsynchronised", "write");
  if (!cpp_co || !go_ch || !cpp_rw || !go_rw || !go_sm || !go_u) return "";
  return fmt::format(
      " Side by side: a hand-off between two goroutines on one P took {} ns against {} ns between two Asio "
      "coroutines (both without the kernel); in the 90%-read mix Go's RWMutex map took {} ms and sync.Map {} ms "
      "against the C++ shared_mutex map's {} ms; Go's unsynchronised map: {}.",
      f1(go_ch->ns_per_switch), f1(cpp_co->ns_per_switch), f2(go_rw->ms.mean), f2(go_sm->ms.mean),
      f2(cpp_rw->ms.mean), go_u->outcome);
}

void go_section(report::HtmlReport& page, const Hw3Result& r) {
  page.heading("Beside Go");
  if (r.go.ran)
    page.paragraph(fmt::format(
        "The Go twin (bench/peers/go_hw3, {}) ran the same experiments with the same sizes in the same run; its "
        "rows are marked Go in every table. Go's maps are map+Mutex, map+RWMutex and sync.Map; its hand-off is an "
        "unbuffered channel between two goroutines with GOMAXPROCS=1 (one core) or all cores (free).{}",
        r.go.version, go_beside(r)));
  else
    page.paragraph("The Go twin did not run: " + r.go.note);
}

// --- raw numbers --------------------------------------------------------------------------

std::string csv_text(const Hw3Result& r, int which) {
  std::string s;
  switch (which) {
    case 0:
      s = "language,counter,increments_per_thread,expected,final,lost,ns_per_increment\n";
      for (const auto& c : r.atomicity.rows)
        s += fmt::format("{},{},{},{},{},{},{:.3f}\n", c.language, c.kind, c.increments, c.expected, c.final_value,
                         c.lost(), c.ns_per_increment);
      break;
    case 1:
      s = "language,map,workload,expected,entries,ms_mean,ms_stddev,ms_min,ms_max,runs,outcome\n";
      for (const auto& m : r.maps.rows)
        s += fmt::format("{},{},{},{},{:.1f},{:.3f},{:.3f},{:.3f},{:.3f},{},\"{}\"\n", m.language, m.name, m.workload,
                         m.expected, m.entries, m.ms.mean, m.ms.stddev, m.ms.min, m.ms.max, m.ms.runs, m.outcome);
      break;
    case 2:
      s = "language,writer,lines,ms_mean,ms_stddev,write_syscalls\n";
      for (const auto& f : r.file_io.rows)
        s += fmt::format("{},{},{},{:.3f},{:.3f},{}\n", f.language, f.name, f.lines, f.ms.mean, f.ms.stddev,
                         f.syscalls ? std::to_string(*f.syscalls) : "");
      break;
    case 3:
      s = "language,hand_off,pinned,round_trips,ns_per_switch,voluntary,involuntary\n";
      for (const auto& c : r.context_switch.rows)
        s += fmt::format("{},{},{},{},{:.1f},{},{}\n", c.language, c.name, c.pinned, c.round_trips, c.ns_per_switch,
                         c.voluntary, c.involuntary);
      break;
    default:
      s = "language,layout,threads,increments,ns_per_increment_best,ns_per_increment_mean\n";
      for (const auto& f : r.false_sharing.rows)
        s += fmt::format("{},{},{},{},{:.3f},{:.3f}\n", f.language, f.layout, f.threads, f.increments,
                         f.ns_per_increment, f.ns_mean);
  }
  return s;
}

constexpr const char* kCsvNames[] = {"atomicity.csv", "maps.csv", "file_io.csv", "context_switch.csv",
                                     "false_sharing.csv"};

json::value opt_count(const std::optional<std::uint64_t>& n) { return n ? json::value(*n) : json::value(); }

// The headline keys for one language (C++ at the top level, Go under "go").
json::object headline(const Hw3Result& r, const char* lang) {
  json::object o;
  if (const auto* c = counter(r, lang, "plain")) o["counter_plain_final"] = c->final_value;
  if (const auto* c = counter(r, lang, "plain-long")) {
    o["counter_plain_long_final"] = c->final_value;
    o["counter_plain_long_expected"] = c->expected;
  }
  if (const auto* c = counter(r, lang, "atomic")) o["counter_atomic_final"] = c->final_value;
  if (const auto* c = counter(r, lang, "mutex")) o["counter_mutex_final"] = c->final_value;
  json::array maps;
  for (const auto& m : r.maps.rows)
    if (m.language == lang)
      maps.emplace_back(json::object{{"name", m.name}, {"workload", m.workload}, {"entries", m.entries},
                                     {"expected", m.expected}, {"ms", m.ms.mean}, {"ms_stddev", m.ms.stddev},
                                     {"runs", m.ms.runs}, {"outcome", m.outcome}});
  o["maps"] = std::move(maps);
  const auto* u = file_row(r, lang, "unbuffered");
  const auto* b = file_row(r, lang, "buffered");
  const auto* s = file_row(r, lang, "buffered+fsync");
  if (u && b && s)
    o["file_io"] = json::object{{"unbuffered_ms", u->ms.mean}, {"buffered_ms", b->ms.mean},
                                {"buffered_fsync_ms", s->ms.mean}, {"unbuffered_syscalls", opt_count(u->syscalls)},
                                {"buffered_syscalls", opt_count(b->syscalls)},
                                {"buffered_fsync_syscalls", opt_count(s->syscalls)}};
  const bool cpp = std::string(lang) == "C++";
  const auto* pinned = switch_row(r, lang, cpp ? "condvar" : "channel", true);
  const auto* free = switch_row(r, lang, cpp ? "condvar" : "channel", false);
  const auto* co = cpp ? switch_row(r, lang, "coroutine", true) : pinned;
  if (pinned && free && co)
    o["context_switch"] = json::object{
        {"pinned_ns", pinned->ns_per_switch}, {"free_ns", free->ns_per_switch}, {"coroutine_ns", co->ns_per_switch}};
  const auto* a = sharing_row(r, lang, "adjacent");
  const auto* p = sharing_row(r, lang, "padded");
  if (a && p) o["false_sharing"] = json::object{{"adjacent_ns", a->ns_per_increment}, {"padded_ns", p->ns_per_increment}};
  return o;
}

json::object summary(const Hw3Result& r) {
  json::object o = headline(r, "C++");
  o["experiment"] = "hw3";
  o["threads"] = r.atomicity.threads;
  o["increments_per_thread"] = r.atomicity.increments;
  o["machine"] = r.machine;
  json::object go = r.go.ran ? headline(r, "Go") : json::object{};
  go["ran"] = r.go.ran;
  go["version"] = r.go.version;
  go["note"] = r.go.note;
  o["go"] = std::move(go);
  return o;
}

}  // namespace

Result<Hw3Files> render_hw3(const Hw3Result& r, const std::filesystem::path& out_dir) {
  report::Output out(out_dir);
  Hw3Files files;
  for (int i = 0; i < 5; ++i) {
    auto csv = out.data(kCsvNames[i], csv_text(r, i), kCsvNames[i]);
    if (!csv) return csv.error();
    files.csv.push_back(*csv);
  }
  auto json_file = out.summary(summary(r));
  if (!json_file) return json_file.error();
  files.json = *json_file;
  report::HtmlReport page("hw3: concurrency primitives");
  page.paragraph("Measured on " + r.machine +
                 ". Every figure is wall time on a shared virtual machine: compare rows within one run, and read the "
                 "spread before calling a difference real.");
  atomicity_section(page, r);
  maps_section(page, r);
  file_io_section(page, r);
  switch_section(page, r);
  false_sharing_section(page, r);
  go_section(page, r);
  auto html = out.page(page);
  if (!html) return html.error();
  files.report = *html;
  return files;
}

}  // namespace scalelab::lab
