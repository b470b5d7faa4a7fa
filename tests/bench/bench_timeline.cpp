// bench_timeline: figures for the event timeline view on a large store.
//
//   bench_timeline [--events N] [--store PATH] [--jumps J] [--live-seconds S] [--rate R] [--no-index] [--cold]
//
// Builds a store of N events (10M by default: a few minutes; reused when
// --store names an existing one with at least N events), then measures, with
// the offscreen platform:
//   1. open to first paint: Session::open + TimelineView::setSession until the
//      table has painted rows;
//   2. jump to an arbitrary position: revealPosition until the row is current
//      and painted (J random positions);
//   3. memory the timeline adds (resident set, before the view vs after);
//   4. the GUI thread's longest stall while a second thread appends R events/s
//      through its own EventStore (a 2 ms heartbeat timer on the GUI thread).
// Figures, not assertions: print them, compare runs on the same machine.

#include "eventsearch.h"
#include "eventstore.h"
#include "session.h"
#include "timeline/timelinemodel.h"
#include "timeline/timelineview.h"

#include <QAbstractTableModel>
#include <QApplication>
#include <QCommandLineParser>
#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QHeaderView>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QScrollBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QTextStream>
#include <QThread>
#include <QTimer>

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstdio>

#include <ctime>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace es;

namespace {

QTextStream &out()
{
    static QTextStream s(stdout);
    return s;
}

double msSince(const QElapsedTimer &t)
{
    return double(t.nsecsElapsed()) / 1e6;
}

qint64 residentKb()
{
    QFile f(u"/proc/self/status"_s);
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    return 0;
}

struct Stats {
    double median = 0, p95 = 0, max = 0;
};

Stats statsOf(QList<double> v)
{
    Stats s;
    if (v.isEmpty())
        return s;
    std::sort(v.begin(), v.end());
    s.median = v.at(v.size() / 2);
    s.p95 = v.at(std::min<qsizetype>(v.size() - 1, qsizetype(double(v.size()) * 0.95)));
    s.max = v.constLast();
    return s;
}

// --- building the store --------------------------------------------------------

const char *const Types[] = {"AccountOpened",    "MoneyDeposited",  "MoneyWithdrawn",   "TransferSent",
                             "TransferReceived", "TransferBounced", "TransferRefunded", "AccountClosed"};
const char *const Words[] = {"rent",    "salary", "coffee", "invoice", "refund", "grocery", "travel", "fuel",
                             "book",    "gift",   "tax",    "bonus",   "repair", "lunch",   "train",  "hotel",
                             "flight",  "music",  "school", "doctor",  "garden", "phone",   "water",  "power",
                             "cinema",  "market", "bakery", "garage",  "museum", "studio",  "office", "winter",
                             "summer",  "spring", "autumn", "monday",  "friday", "annual",  "weekly", "daily",
                             "project", "alpha",  "beta",   "gamma",   "delta",  "omega",   "north",  "south"};
constexpr int WordCount = int(sizeof(Words) / sizeof(Words[0]));
constexpr int StreamsPerBlock = 64;
constexpr int BlockEvents = 6400; // 64 streams of 100 events, interleaved

quint64 mix(quint64 x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

bool check(int rc, sqlite3 *db, const char *what)
{
    if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW)
        return true;
    fprintf(stderr, "bench_timeline: %s: %s\n", what, sqlite3_errmsg(db));
    return false;
}

// Raw C API bulk insert into a store created by EventStore::open(Create), with
// a valid hash chain (EventStore::computeHash) and the streams table filled.
bool buildStore(const QString &path, qint64 events)
{
    for (const QString &suffix : {QString(), u"-wal"_s, u"-shm"_s})
        QFile::remove(path + suffix);
    {
        auto store = EventStore::open(path, EventStore::Mode::Create);
        if (!store) {
            fprintf(stderr, "bench_timeline: %s\n", qPrintable(store.error().message));
            return false;
        }
    }
    sqlite3 *db = nullptr;
    if (sqlite3_open_v2(QFile::encodeName(path).constData(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
        return false;
    bool ok = check(sqlite3_exec(db, "PRAGMA synchronous=OFF; PRAGMA cache_size=-2000000; PRAGMA temp_store=MEMORY",
                                 nullptr, nullptr, nullptr),
                    db, "pragmas");
    sqlite3_stmt *ins = nullptr;
    sqlite3_stmt *streams = nullptr;
    ok = ok && check(sqlite3_prepare_v2(db,
                                        "INSERT INTO events(position, stream, version, type, event_id, data, metadata, "
                                        "recorded_ms, schema_version, correlation_id, actor, hash) "
                                        "VALUES (?,?,?,?,?,?,?,?,1,?,?,?)",
                                        -1, &ins, nullptr),
                     db, "prepare insert");
    ok = ok && check(sqlite3_prepare_v2(db,
                                        "INSERT INTO streams(stream, type, version, first_ms, last_ms) "
                                        "VALUES (?, 'Account', ?, ?, ?)",
                                        -1, &streams, nullptr),
                     db, "prepare streams");
    const qint64 baseMs = QDateTime::currentMSecsSinceEpoch() - events; // one event per ms, ending now
    QByteArray prevHash;
    QElapsedTimer t;
    t.start();
    ok = ok && check(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), db, "begin");
    RecordedEvent e;
    for (qint64 i = 0; ok && i < events; ++i) {
        const qint64 position = i + 1;
        const qint64 block = i / BlockEvents;
        const int slot = int(i % StreamsPerBlock);
        const quint64 r = mix(quint64(position));
        char buf[64];
        snprintf(buf, sizeof buf, "acc-%08lld", static_cast<long long>(block * StreamsPerBlock + slot));
        e.position = position;
        e.stream = QString::fromLatin1(buf);
        e.version = (i % BlockEvents) / StreamsPerBlock + 1;
        e.type = QString::fromLatin1(e.version == 1 ? Types[0] : Types[1 + r % 7]);
        snprintf(buf, sizeof buf, "%08llx-0000-7000-8000-%012llx", static_cast<unsigned long long>(block),
                 static_cast<unsigned long long>(position));
        e.eventId = QString::fromLatin1(buf);
        const QByteArray actor = "user-" + QByteArray::number(qint64(r >> 8) % 20);
        const QByteArray correlation = "corr-" + QByteArray::number(i / 8);
        e.data = "{\"accountId\":\"" + e.stream.toLatin1() +
                 "\",\"amount\":" + QByteArray::number(double((r >> 16) % 100000) / 100.0, 'f', 2) +
                 ",\"currency\":\"EUR\",\"memo\":\"" + Words[(r >> 24) % WordCount] + ' ' +
                 Words[(r >> 32) % WordCount] + ' ' + Words[(r >> 40) % WordCount] +
                 "\",\"seq\":" + QByteArray::number(position) + '}';
        e.metadata = "{\"actor\":\"" + actor + "\",\"correlationId\":\"" + correlation + "\"}";
        e.recordedMs = baseMs + i;
        e.schemaVersion = 1;
        e.hash = EventStore::computeHash(prevHash, e);
        prevHash = e.hash;
        const QByteArray stream = e.stream.toLatin1();
        const QByteArray type = e.type.toLatin1();
        const QByteArray id = e.eventId.toLatin1();
        sqlite3_bind_int64(ins, 1, position);
        sqlite3_bind_text(ins, 2, stream.constData(), int(stream.size()), SQLITE_STATIC);
        sqlite3_bind_int64(ins, 3, e.version);
        sqlite3_bind_text(ins, 4, type.constData(), int(type.size()), SQLITE_STATIC);
        sqlite3_bind_text(ins, 5, id.constData(), int(id.size()), SQLITE_STATIC);
        sqlite3_bind_text(ins, 6, e.data.constData(), int(e.data.size()), SQLITE_STATIC);
        sqlite3_bind_text(ins, 7, e.metadata.constData(), int(e.metadata.size()), SQLITE_STATIC);
        sqlite3_bind_int64(ins, 8, e.recordedMs);
        sqlite3_bind_text(ins, 9, correlation.constData(), int(correlation.size()), SQLITE_STATIC);
        sqlite3_bind_text(ins, 10, actor.constData(), int(actor.size()), SQLITE_STATIC);
        sqlite3_bind_text(ins, 11, e.hash.constData(), int(e.hash.size()), SQLITE_STATIC);
        ok = check(sqlite3_step(ins), db, "insert");
        sqlite3_reset(ins);
        if (ok && (i + 1) % BlockEvents == 0) {
            // Every stream of the block is complete: 100 events each.
            for (int s = 0; s < StreamsPerBlock && ok; ++s) {
                snprintf(buf, sizeof buf, "acc-%08lld", static_cast<long long>(block * StreamsPerBlock + s));
                sqlite3_bind_text(streams, 1, buf, -1, SQLITE_TRANSIENT);
                sqlite3_bind_int64(streams, 2, BlockEvents / StreamsPerBlock);
                sqlite3_bind_int64(streams, 3, baseMs + block * BlockEvents + s);
                sqlite3_bind_int64(streams, 4, baseMs + (block + 1) * BlockEvents - StreamsPerBlock + s);
                ok = check(sqlite3_step(streams), db, "streams");
                sqlite3_reset(streams);
            }
        }
        if (ok && (i + 1) % 256000 == 0) {
            ok = check(sqlite3_exec(db, "COMMIT; BEGIN", nullptr, nullptr, nullptr), db, "commit");
            if ((i + 1) % 1024000 == 0) {
                fprintf(stderr, "  built %lld events, %.0f events/s\n", static_cast<long long>(i + 1),
                        double(i + 1) / (msSince(t) / 1000.0));
            }
        }
    }
    // The last, incomplete block's streams.
    const qint64 lastBlock = events / BlockEvents;
    for (int s = 0; ok && s < StreamsPerBlock && events % BlockEvents; ++s) {
        const qint64 first = lastBlock * BlockEvents + s;
        if (first >= events)
            break;
        const qint64 count = (events - 1 - first) / StreamsPerBlock + 1;
        char buf[32];
        snprintf(buf, sizeof buf, "acc-%08lld", static_cast<long long>(lastBlock * StreamsPerBlock + s));
        sqlite3_bind_text(streams, 1, buf, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(streams, 2, count);
        sqlite3_bind_int64(streams, 3, baseMs + first);
        sqlite3_bind_int64(streams, 4, baseMs + first + (count - 1) * StreamsPerBlock);
        ok = check(sqlite3_step(streams), db, "streams");
        sqlite3_reset(streams);
    }
    ok = ok && check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db, "commit");
    sqlite3_finalize(ins);
    sqlite3_finalize(streams);
    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
    sqlite3_close_v2(db);
    fprintf(stderr, "  built %lld events in %.1f s\n", static_cast<long long>(events), msSince(t) / 1000.0);
    return ok;
}

qint64 storeHead(const QString &path)
{
    auto store = EventStore::open(path, EventStore::Mode::ReadWrite); // upgrades an older schema once
    return store ? (*store)->headPosition() : -1;
}

// The calibration baseline: a plain QTableView over a model that only formats
// numbers, same size, same machine, same moment.
class PlainModel : public QAbstractTableModel {
public:
    explicit PlainModel(int rows)
        : m_rows(rows)
    {
    }
    int rowCount(const QModelIndex &parent = {}) const override { return parent.isValid() ? 0 : m_rows; }
    int columnCount(const QModelIndex &parent = {}) const override { return parent.isValid() ? 0 : 8; }
    QVariant data(const QModelIndex &index, int role) const override
    {
        if (role != Qt::DisplayRole)
            return {};
        return QString::number(qint64(index.row()) * 8 + index.column());
    }

private:
    int m_rows;
};

// Paints of the table's viewport: "first paint" is the first one with rows.
class PaintCounter : public QObject {
public:
    explicit PaintCounter(QWidget *viewport, QAbstractItemModel *model)
        : QObject(viewport)
        , m_model(model)
    {
        viewport->installEventFilter(this);
    }
    int paintsWithRows = 0;

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (event->type() == QEvent::Paint && m_model->rowCount() > 0)
            ++paintsWithRows;
        return QObject::eventFilter(watched, event);
    }

private:
    QAbstractItemModel *m_model;
};

// Runs the event loop (blocking between events, as the application does)
// until done() holds; checked after every event batch and every millisecond.
template <typename Done> bool spin(Done done, int timeoutMs = 30000)
{
    if (done())
        return true;
    QEventLoop loop;
    QTimer check;
    check.setTimerType(Qt::PreciseTimer);
    check.setInterval(1);
    bool ok = true;
    QElapsedTimer t;
    t.start();
    QObject::connect(&check, &QTimer::timeout, &loop, [&] {
        if (done()) {
            loop.quit();
        } else if (t.elapsed() > timeoutMs) {
            ok = false;
            loop.quit();
        }
    });
    check.start();
    loop.exec();
    return ok;
}

double threadCpuMs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

// Times every event the GUI thread delivers, to name the longest ones: a
// stall is either our work (named here) or the scheduler (the idle baseline).
class TimedApplication : public QApplication {
public:
    using QApplication::QApplication;
    bool recording = false;
    struct Slow {
        double ms = 0;
        QString what;
    };
    QList<Slow> slowest; // the 5 longest

    bool notify(QObject *receiver, QEvent *event) override
    {
        if (!recording || QThread::currentThread() != thread())
            return QApplication::notify(receiver, event);
        QElapsedTimer t;
        t.start();
        const double cpu0 = threadCpuMs();
        const QEvent::Type type = event->type(); // the event may be gone afterwards
        const QString name = QString::fromLatin1(receiver->metaObject()->className());
        const bool r = QApplication::notify(receiver, event);
        const double ms = msSince(t);
        if (slowest.size() < 5 || ms > slowest.constLast().ms) {
            slowest.append(
                {ms, u"(cpu %1 ms) %2 event %3"_s.arg(threadCpuMs() - cpu0, 0, 'f', 1).arg(name).arg(int(type))});
            std::sort(slowest.begin(), slowest.end(), [](const Slow &a, const Slow &b) { return a.ms > b.ms; });
            if (slowest.size() > 5)
                slowest.removeLast();
        }
        return r;
    }
};

} // namespace

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    TimedApplication app(argc, argv);
    QCommandLineParser p;
    p.setApplicationDescription(u"Figures for the event timeline view."_s);
    p.addHelpOption();
    p.addOption({u"events"_s, u"Events in the store (default 10000000)."_s, u"N"_s, u"10000000"_s});
    p.addOption({u"store"_s, u"Store file: reused if it has at least N events, else built there."_s, u"PATH"_s});
    p.addOption({u"jumps"_s, u"Random jumps to time (default 50)."_s, u"J"_s, u"50"_s});
    p.addOption({u"live-seconds"_s, u"Seconds of live appends (default 10)."_s, u"S"_s, u"10"_s});
    p.addOption({u"rate"_s, u"Live events per second (default 1000)."_s, u"R"_s, u"1000"_s});
    p.addOption({u"no-index"_s, u"Do not run the full-text indexer during the run."_s});
    p.addOption({u"cold"_s, u"Drop the OS page cache before opening (needs root)."_s});
    p.addOption({u"screenshots"_s, u"Save screenshots of the view in this directory."_s, u"DIR"_s});
    p.addOption({u"build-only"_s, u"Only build the store (used by the benchmark itself)."_s});
    p.process(app);

    const qint64 events = p.value(u"events"_s).toLongLong();
    QTemporaryDir tmp;
    QString path = p.value(u"store"_s);
    if (path.isEmpty())
        path = tmp.filePath(u"timeline-bench.db"_s);
    out() << "bench_timeline: " << events << " events, store " << path << Qt::endl;

    if (p.isSet(u"build-only"_s))
        return buildStore(path, events) ? 0 : 1;
    qint64 head = QFileInfo::exists(path) ? storeHead(path) : -1;
    if (head < events) {
        out() << "building the store (raw SQLite, valid hash chain)..." << Qt::endl;
        // In a child process: the build's memory must not blur the figures.
        QElapsedTimer tb;
        tb.start();
        const int rc =
            QProcess::execute(QCoreApplication::applicationFilePath(),
                              {u"--build-only"_s, u"--events"_s, QString::number(events), u"--store"_s, path});
        if (rc != 0)
            return 1;
        head = storeHead(path);
        out() << "built " << head << " events in " << tb.elapsed() / 1000 << " s" << Qt::endl;
    } else {
        out() << "reusing the store: head " << head << Qt::endl;
    }
    if (p.isSet(u"cold"_s)) {
        sync();
        QFile drop(u"/proc/sys/vm/drop_caches"_s);
        if (drop.open(QIODevice::WriteOnly) && drop.write("3\n") > 0)
            out() << "dropped the page cache (cold open)" << Qt::endl;
        else
            out() << "could not drop the page cache: warm open" << Qt::endl;
    }

    // Baselines --------------------------------------------------------------------
    // The scheduler's own noise: the heartbeat with nothing else to do.
    QList<double> idleGaps;
    {
        QElapsedTimer beat;
        QTimer heartbeat;
        heartbeat.setTimerType(Qt::PreciseTimer);
        heartbeat.setInterval(2);
        QObject::connect(&heartbeat, &QTimer::timeout, [&] {
            idleGaps << msSince(beat);
            beat.restart();
        });
        beat.start();
        heartbeat.start();
        QElapsedTimer phase;
        phase.start();
        spin([&] { return phase.elapsed() >= 2000; });
    }
    const Stats idle = statsOf(idleGaps);
    double plainFirstPaintMs = 0;
    Stats plainRepaint;
    {
        PlainModel plain(1000000);
        QTableView table;
        table.resize(1376, 860);
        auto *plainCounter = new PaintCounter(table.viewport(), &plain);
        QElapsedTimer tp;
        tp.start();
        table.setModel(&plain);
        table.verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
        table.show();
        spin([&] { return plainCounter->paintsWithRows > 0; });
        plainFirstPaintMs = msSince(tp);
        QList<double> v;
        for (int i = 0; i < 20; ++i) {
            QElapsedTimer tr;
            tr.start();
            table.viewport()->repaint();
            v << msSince(tr);
        }
        plainRepaint = statsOf(v);
    }

    // 1. Open to first paint ------------------------------------------------------
    const qint64 rssBefore = residentKb();
    QElapsedTimer t;
    t.start();
    Session::Options so;
    so.storePath = path;
    auto session = Session::open(so);
    if (!session) {
        fprintf(stderr, "bench_timeline: %s\n", qPrintable(session.error().message));
        return 1;
    }
    const double sessionMs = msSince(t);
    const qint64 rssSession = residentKb();
    QElapsedTimer tv;
    tv.start();
    TimelineView view;
    view.setIndexingEnabled(!p.isSet(u"no-index"_s));
    view.resize(1400, 900);
    auto *counter = new PaintCounter(view.tableView()->viewport(), view.model());
    view.show();
    view.setSession(session->get());
    const bool painted = spin([&] { return counter->paintsWithRows > 0; });
    const double firstPaintMs = msSince(t);
    const double viewFirstPaintMs = msSince(tv);
    const qint64 rssOpen = residentKb();
    const QString shots = p.value(u"screenshots"_s);
    if (!shots.isEmpty())
        view.grab().save(QDir(shots).filePath(u"timeline-10m-open.png"_s));

    QList<double> repaints;
    const int repaintCount = qEnvironmentVariableIntValue("BENCH_TIMELINE_REPAINTS");
    for (int i = 0; i < std::max(20, repaintCount); ++i) {
        QElapsedTimer tr;
        tr.start();
        view.tableView()->viewport()->repaint();
        repaints << msSince(tr);
    }
    const Stats repaint = statsOf(repaints);

    // 2. Jumps ---------------------------------------------------------------------
    QRandomGenerator rng(42);
    QList<double> jumps;
    QList<double> jumpsToRows; // the part until the rows are in the model
    QElapsedTimer tj;
    QObject::connect(view.timelineModel(), &TimelineModel::anchored, &view, [&] { jumpsToRows << msSince(tj); });
    const int jumpCount = p.value(u"jumps"_s).toInt();
    bool jumpsOk = true;
    for (int i = 0; i < jumpCount; ++i) {
        const qint64 target = 1 + qint64(rng.bounded(quint64(head)));
        const int paintsBefore = counter->paintsWithRows;
        tj.start();
        view.revealPosition(target);
        jumpsOk =
            spin([&] { return view.currentPosition() == target && counter->paintsWithRows > paintsBefore; }) && jumpsOk;
        jumps << msSince(tj);
        spin([&] { return !view.timelineModel()->isLoading(); }); // edge pages land, as for a user
    }
    const Stats jump = statsOf(jumps);
    const Stats jumpRows = statsOf(jumpsToRows);
    // Scrolling a few pages from the last jump, as far as the window trims.
    for (int i = 0; i < 40; ++i) {
        view.tableView()->verticalScrollBar()->triggerAction(QAbstractSlider::SliderPageStepAdd);
        QElapsedTimer step;
        step.start();
        spin([&] { return step.elapsed() >= 5; });
    }
    spin([&] { return !view.timelineModel()->isLoading(); });
    const qint64 rssJumps = residentKb();

    // Filters: time until the filtered rows around the current place are in
    // the model (one keyset read each way in the loader thread).
    struct FilterFigure {
        QString name;
        double ms = 0;
        int rows = 0;
    };
    QList<FilterFigure> filterFigures;
    {
        const qint64 middle = head / 2;
        const qint64 middleMs = EventStore::open(path, EventStore::Mode::ReadOnly)
                                    .value()
                                    ->query(EventQuery{{}, {}, {}, {}, -1, -1, -1, -1, middle, middle, 1, false})
                                    ->value(0)
                                    .recordedMs;
        QList<QPair<QString, SearchFilter>> filters;
        SearchFilter f;
        f.types = {u"MoneyDeposited"_s};
        filters.append({u"one type"_s, f});
        f.types = {u"AccountOpened"_s, u"TransferBounced"_s};
        filters.append({u"two types"_s, f});
        f = {};
        f.stream = u"acc-%1"_s.arg(middle / 100, 8, 10, QChar(u'0'));
        filters.append({u"stream"_s, f});
        f = {};
        f.correlationId = u"corr-%1"_s.arg(middle / 8);
        filters.append({u"correlation"_s, f});
        f = {};
        f.actor = u"user-7"_s;
        filters.append({u"actor (no index)"_s, f});
        f = {};
        f.fromMs = middleMs;
        f.toMs = middleMs + 60000;
        filters.append({u"time range (1 min)"_s, f});
        f = {};
        f.text = u"garage"_s;
        filters.append({u"text, common word"_s, f});
        f.text = u"garage winter"_s;
        filters.append({u"text, two words"_s, f});
        f.text = u"garage"_s;
        f.types = {u"MoneyWithdrawn"_s};
        filters.append({u"text and type"_s, f});
        view.setFollowLive(false);
        view.revealPosition(middle);
        spin([&] { return !view.timelineModel()->isLoading(); });
        for (const auto &[name, filter] : std::as_const(filters)) {
            tj.start();
            const int before = int(jumpsToRows.size());
            view.setFilter(filter);
            const bool done = spin([&] { return jumpsToRows.size() > before; }, 60000);
            filterFigures.append({name, done ? jumpsToRows.constLast() : -1, view.model()->rowCount()});
            if (!shots.isEmpty() && name == u"text and type"_s) {
                spin([&] { return !view.timelineModel()->isLoading(); });
                view.grab().save(QDir(shots).filePath(u"timeline-10m-filtered.png"_s));
            }
            view.clearFilters();
            spin([&] { return !view.timelineModel()->isLoading(); }, 60000);
        }
    }

    // 4. Live appends ----------------------------------------------------------------
    const int liveSeconds = p.value(u"live-seconds"_s).toInt();
    const int rate = p.value(u"rate"_s).toInt();
    std::atomic<bool> stop{false};
    std::atomic<qint64> appended{0};
    std::atomic<qint64> appendFailures{0};
    QThread *appender = QThread::create([&] {
        EventStore::Options o;
        o.mode = EventStore::Mode::ReadWrite;
        auto store = EventStore::open(path, o);
        if (!store)
            return;
        QElapsedTimer clock;
        clock.start();
        qint64 n = 0;
        while (!stop.load()) {
            // Every 10 ms, the events due by now, in one append.
            const qint64 due = clock.elapsed() * rate / 1000;
            if (due > n) {
                AppendRequest req;
                req.stream = u"live-%1"_s.arg(n / 100);
                req.streamType = u"Live"_s;
                for (qint64 k = n; k < due; ++k) {
                    NewEvent ev;
                    ev.type = u"LiveTick"_s;
                    ev.data = QJsonObject{{u"tick"_s, k}, {u"memo"_s, u"live tick"_s}};
                    ev.metadata = QJsonObject{{QString(meta::Actor), u"bench"_s}};
                    req.events.append(ev);
                }
                if ((*store)->append(req))
                    n = due;
                else
                    ++appendFailures;
                appended = n;
            }
            QThread::msleep(10);
        }
    });
    QList<double> gaps;
    QElapsedTimer beat;
    QTimer heartbeat;
    heartbeat.setTimerType(Qt::PreciseTimer);
    heartbeat.setInterval(2);
    QObject::connect(&heartbeat, &QTimer::timeout, [&] {
        gaps << msSince(beat);
        beat.restart();
    });
    auto measure = [&](bool follow, int seconds) {
        view.setFollowLive(follow);
        spin([&] { return !view.timelineModel()->isLoading(); });
        gaps.clear();
        beat.start();
        heartbeat.start();
        QElapsedTimer phase;
        phase.start();
        spin([&] { return phase.elapsed() >= qint64(seconds) * 1000; }, seconds * 1000 + 1000);
        heartbeat.stop();
        return statsOf(gaps);
    };
    const qint64 headBeforeLive = view.timelineModel()->head();
    appender->start();
    app.recording = true;
    const Stats liveFollow = measure(true, liveSeconds);
    const Stats liveBrowse = measure(false, std::max(1, liveSeconds / 2));
    app.recording = false;
    stop = true;
    appender->wait();
    delete appender;
    spin([&] { return view.timelineModel()->head() >= headBeforeLive + appended.load(); }, 5000);
    const qint64 seen = view.timelineModel()->head() - headBeforeLive;
    const qint64 rssLive = residentKb();

    out() << Qt::endl << "Baselines, same run" << Qt::endl;
    out() << QString::asprintf("  idle GUI heartbeat         %8.1f ms max gap, %.1f ms p95 (scheduler noise, 2 s)",
                               idle.max, idle.p95)
          << Qt::endl;
    out() << QString::asprintf("  plain QTableView, 1M rows  %8.1f ms first paint, %.1f ms repaint median",
                               plainFirstPaintMs, plainRepaint.median)
          << Qt::endl;
    out() << Qt::endl << "Timeline figures (" << head << " events, offscreen, Qt " << qVersion() << ")" << Qt::endl;
    out() << QString::asprintf(
                 "  open to first paint        %8.1f ms  (Session::open %.1f ms, view to paint %.1f ms)%s",
                 firstPaintMs, sessionMs, viewFirstPaintMs, painted ? "" : "  [NO PAINT]")
          << Qt::endl;
    out() << QString::asprintf("  jump to a position         %8.1f ms median, %.1f ms p95, %.1f ms max (%d jumps)%s",
                               jump.median, jump.p95, jump.max, jumpCount, jumpsOk ? "" : "  [MISSED]")
          << Qt::endl;
    out() << QString::asprintf("    a full repaint of the table %5.1f ms median (%d x %d)", repaint.median,
                               view.tableView()->viewport()->width(), view.tableView()->viewport()->height())
          << Qt::endl;
    out() << QString::asprintf(
                 "    of which rows in the model %6.1f ms median, %.1f ms max (read in the loader thread, "
                 "model reset)",
                 jumpRows.median, jumpRows.max)
          << Qt::endl;
    for (const FilterFigure &ff : std::as_const(filterFigures))
        out() << QString::asprintf("  filter: %-22s %6.1f ms to rows (%d in the window)", qPrintable(ff.name), ff.ms,
                                   ff.rows)
              << Qt::endl;
    out() << QString::asprintf("  memory added by the view   %8.1f MB after opening, %.1f MB after jumps, %.1f MB "
                               "after live (RSS; session alone %.1f MB)",
                               double(rssOpen - rssSession) / 1024.0, double(rssJumps - rssSession) / 1024.0,
                               double(rssLive - rssSession) / 1024.0, double(rssSession - rssBefore) / 1024.0)
          << Qt::endl;
    out() << QString::asprintf(
                 "  GUI stall, live + follow   %8.1f ms max heartbeat gap, %.1f ms p95 (2 ms timer, %d s)",
                 liveFollow.max, liveFollow.p95, liveSeconds)
          << Qt::endl;
    out() << QString::asprintf("  GUI stall, live, browsing  %8.1f ms max heartbeat gap, %.1f ms p95", liveBrowse.max,
                               liveBrowse.p95)
          << Qt::endl;
    QStringList slow;
    for (const auto &sl : std::as_const(app.slowest))
        slow << u"%1 ms %2"_s.arg(sl.ms, 0, 'f', 1).arg(sl.what);
    out() << "    longest GUI events while live: " << slow.join(u"; "_s) << Qt::endl;
    out() << QString::asprintf("  live events                %8lld appended, %lld seen by the timeline, %lld failed "
                               "appends; window %d rows",
                               static_cast<long long>(appended.load()), static_cast<long long>(seen),
                               static_cast<long long>(appendFailures.load()), view.model()->rowCount())
          << Qt::endl;
    if (EventSearch *indexer = view.searchIndexer(); indexer->isRunning())
        out() << QString::asprintf("  full-text index            %8lld of %lld events indexed during the run",
                                   static_cast<long long>(indexer->indexedPosition()),
                                   static_cast<long long>(indexer->headPosition()))
              << Qt::endl;
    return painted && jumpsOk ? 0 : 2;
}
