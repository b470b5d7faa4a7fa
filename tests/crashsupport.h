#pragma once

// The crash campaign's tools (tst_crash): a CLI process killed with SIGKILL at
// a chosen moment, and the checks of what a store promises after any crash:
// its chain verifies (through `eventscope-cli verify`, a process of its own),
// positions and stream versions are contiguous, no event or command is stored
// twice, every command's events are exactly the ones its log row names, and
// each read model at its checkpoint equals a build from zero to that position.

#include "domain.h"
#include "eventstore.h"
#include "projectionrunner.h"
#include "readstore.h"
#include "storeaddress.h"
#include "testsupport.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QProcess>
#include <QSet>
#include <QThread>

#include <sys/stat.h>

namespace crash {

using namespace Qt::StringLiterals;

struct Run {
    bool killed = false;  // we sent SIGKILL and it died of it
    bool crashed = false; // it died of a signal we did not send
    int code = -1;        // the exit code, when it finished by itself
    QByteArray out;
    QByteArray err;
    qint64 ranMs = 0;
};

// When to SIGKILL: after a delay, or as soon as the n-th write to a file is
// seen (SQLite's -wal: the moment a commit writes its frames, before or during
// its fsync). Neither: let the process finish.
struct KillAt {
    int delayMs = -1;
    QString file;
    int writes = 0;

    bool armed() const { return delayMs >= 0 || !file.isEmpty(); }
    QString describe() const
    {
        if (!file.isEmpty())
            return u"SIGKILL at write %1 to %2"_s.arg(writes).arg(QFileInfo(file).fileName());
        return delayMs >= 0 ? u"SIGKILL after %1 ms"_s.arg(delayMs) : u"not killed"_s;
    }
};

// A file's size and modification time, by stat(): never opened (an open and
// close by this process would drop SQLite's locks on it; see GROUND.md).
struct FileStamp {
    bool exists = false;
    qint64 size = 0;
    qint64 mtimeNs = 0;

    static FileStamp of(const QString &path)
    {
        struct stat st;
        if (::stat(QFile::encodeName(path).constData(), &st) != 0)
            return {};
        return {true, qint64(st.st_size), qint64(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
    }
    // Written to since `before` (an empty file being created is not a write).
    bool writtenSince(const FileStamp &before) const
    {
        return exists && size > 0 && (!before.exists || size != before.size || mtimeNs != before.mtimeNs);
    }
};

// Runs the CLI and kills it as `at` says, unless it finished first. Whatever it
// wrote before dying is kept: that is what its caller was told.
inline Run runCli(const QStringList &args, const KillAt &at = {})
{
    Run r;
    QProcess p;
    QElapsedTimer clock;
    clock.start();
    FileStamp last = at.file.isEmpty() ? FileStamp() : FileStamp::of(at.file);
    p.start(cliPath(), args);
    if (!p.waitForStarted(30000)) {
        r.err = "did not start: " + p.errorString().toUtf8();
        return r;
    }
    bool sent = false;
    if (!at.file.isEmpty()) {
        int seen = 0;
        while (!p.waitForFinished(0) && p.state() != QProcess::NotRunning && clock.elapsed() < 600000) {
            const FileStamp now = FileStamp::of(at.file);
            if (now.writtenSince(last)) {
                last = now;
                if (++seen >= at.writes) {
                    p.kill();
                    sent = true;
                    break;
                }
            }
            QThread::usleep(100);
        }
    } else if (at.delayMs >= 0 && !p.waitForFinished(at.delayMs) && p.state() != QProcess::NotRunning) {
        p.kill();
        sent = true;
    }
    if (p.state() != QProcess::NotRunning)
        p.waitForFinished(600000);
    r.ranMs = clock.elapsed();
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    if (p.exitStatus() == QProcess::CrashExit) {
        r.killed = sent;
        r.crashed = !sent;
    } else {
        r.code = p.exitCode();
    }
    return r;
}

// The last complete "committed N head H" line of `generate --progress-lines`.
struct Ack {
    qint64 commands = 0;
    qint64 head = 0;
};
Ack lastAck(const QByteArray &out)
{
    Ack a;
    const QList<QByteArray> lines = out.split('\n');
    for (qsizetype i = 0; i + 1 < lines.size(); ++i) { // the text after the last newline is cut short
        const QList<QByteArray> w = lines.at(i).split(' ');
        if (w.size() == 4 && w.at(0) == "committed" && w.at(2) == "head")
            a = {w.at(1).toLongLong(), w.at(3).toLongLong()};
    }
    return a;
}

// A process's usual life, to spread the kills over it: measured by an unkilled
// run first, then drawn towards each unkilled run, and longer after each kill
// (so that an estimate too short still lets runs finish).
struct Life {
    qint64 ms = 0; // unknown
    void ran(qint64 t) { ms = ms ? (3 * ms + t) / 4 : t; }
    void killed() { ms += ms / 8; }
};

QString command(const QStringList &args)
{
    QStringList quoted;
    for (const QString &a : args)
        quoted << (a.contains(u' ') || a.contains(u'"') ? u"'"_s + a + u"'"_s : a);
    return u"eventscope-cli "_s + quoted.join(u' ');
}

// What a store holds, as far as the checks need it.
struct StoreFacts {
    qint64 head = 0;
    qint64 commands = 0;
    QHash<QString, qint64> positionOfEvent; // event id -> position
    QHash<qint64, QString> eventAt;         // position -> event id
    QHash<QString, qint64> streamVersion;
    QHash<QString, es::CommandRecord> commandById;
};

// `eventscope-cli verify --json`: exit 0, intact, every event checked.
inline QString verifyWithCli(const QString &location, qint64 head)
{
    const Run v = runCli({u"verify"_s, location, u"--json"_s});
    if (v.code != 0)
        return u"verify exited %1: %2%3"_s.arg(v.code).arg(QString::fromUtf8(v.out), QString::fromUtf8(v.err));
    const QJsonObject report = QJsonDocument::fromJson(v.out).object();
    if (!report.value(u"intact"_s).toBool() || report.value(u"checked"_s).toInteger() != head)
        return u"verify: %1 (head %2)"_s.arg(QString::fromUtf8(v.out)).arg(head);
    return {};
}

// Checks the store's invariants and fills facts; returns the first problem
// (empty when none). fromPipeline: every event came through the command
// pipeline, so its metadata names a command of the log (not true of imports).
inline QString checkStore(es::EventStore *store, bool fromPipeline, StoreFacts *facts)
{
    using namespace es;
    *facts = {};
    QString problem;
    qint64 expected = 1;
    QHash<QString, QList<qint64>> byCommand;
    const Status scanned = store->scan(1, [&](const RecordedEvent &e) {
        if (e.position != expected) {
            problem = u"position %1 follows %2: positions are not contiguous"_s.arg(e.position).arg(expected - 1);
            return false;
        }
        ++expected;
        if (facts->positionOfEvent.contains(e.eventId)) {
            problem = u"event %1 is stored twice, at %2 and %3"_s.arg(e.eventId)
                          .arg(facts->positionOfEvent.value(e.eventId))
                          .arg(e.position);
            return false;
        }
        facts->positionOfEvent.insert(e.eventId, e.position);
        facts->eventAt.insert(e.position, e.eventId);
        const qint64 version = facts->streamVersion.value(e.stream) + 1;
        if (e.version != version) {
            problem =
                u"position %1: %2@%3, expected version %4"_s.arg(e.position).arg(e.stream).arg(e.version).arg(version);
            return false;
        }
        facts->streamVersion.insert(e.stream, version);
        const QString commandId =
            QJsonDocument::fromJson(e.metadata).object().value(QLatin1StringView(meta::CommandId)).toString();
        if (!commandId.isEmpty())
            byCommand[commandId].append(e.position);
        return true;
    });
    if (!scanned)
        return u"scan: "_s + scanned.error().message;
    if (!problem.isEmpty())
        return problem;
    facts->head = expected - 1;
    if (store->headPosition() != facts->head)
        return u"head %1, but %2 events"_s.arg(store->headPosition()).arg(facts->head);

    auto streams = store->streams();
    if (!streams)
        return u"streams: "_s + streams.error().message;
    if (streams->size() != facts->streamVersion.size())
        return u"%1 streams listed, %2 with events"_s.arg(streams->size()).arg(facts->streamVersion.size());
    for (const StreamInfo &s : std::as_const(*streams))
        if (s.version != facts->streamVersion.value(s.stream))
            return u"stream %1 is listed at version %2, its events end at %3"_s.arg(s.stream).arg(s.version).arg(
                facts->streamVersion.value(s.stream));

    auto log = store->commands(0, 10'000'000);
    if (!log)
        return u"command log: "_s + log.error().message;
    facts->commands = log->size();
    for (const CommandRecord &r : std::as_const(*log)) {
        if (facts->commandById.contains(r.commandId))
            return u"command %1 is logged twice"_s.arg(r.commandId);
        facts->commandById.insert(r.commandId, r);
        if (!fromPipeline)
            continue;
        QList<qint64> expectedPositions;
        if (r.outcome == CommandOutcome::Accepted && r.firstPosition > 0)
            for (qint64 p = r.firstPosition; p <= r.lastPosition; ++p)
                expectedPositions << p;
        if (byCommand.value(r.commandId) != expectedPositions) {
            QStringList found;
            for (qint64 p : byCommand.value(r.commandId))
                found << QString::number(p);
            return u"command %1 (%2) logs events %3..%4; the events naming it are at [%5]"_s.arg(r.commandId)
                .arg(outcomeName(r.outcome))
                .arg(r.firstPosition)
                .arg(r.lastPosition)
                .arg(found.join(u','));
        }
    }
    if (fromPipeline)
        for (auto it = byCommand.cbegin(); it != byCommand.cend(); ++it)
            if (!facts->commandById.contains(it.key()))
                return u"events at %1.. name command %2, which is not in the command log"_s.arg(it->constFirst())
                    .arg(it.key());
    return {};
}

// Opens the store read-only, checks it (checkStore) and verifies it with the CLI.
inline QString checkStoreAt(const QString &location, bool fromPipeline, StoreFacts *facts)
{
    auto store = es::EventStore::open(location, es::EventStore::Mode::ReadOnly);
    if (!store)
        return u"open: "_s + store.error().message;
    if (QString p = checkStore(store->get(), fromPipeline, facts); !p.isEmpty())
        return p;
    store->reset();
    return verifyWithCli(location, facts->head);
}

// Each read model in readLocation (the store itself, or a read store of its
// own), at its checkpoint, equals a build from zero to that position: no event
// applied twice or missed; no checkpoint passes the head (atHead: each is at
// the head). Returns the number of projections checked through *checked.
inline QString checkProjections(const QString &storeLocation, const QString &readLocation, es::Domain *domain,
                                int *checked = nullptr, bool atHead = false)
{
    using namespace es;
    auto store = EventStore::open(storeLocation, EventStore::Mode::ReadOnly);
    if (!store)
        return u"open: "_s + store.error().message;
    const qint64 head = (*store)->headPosition();
    if (readLocation != storeLocation && !StoreAddress::isPostgresUrl(readLocation) && !QFileInfo::exists(readLocation))
        return {}; // killed before it created its read store
    auto rs = ReadStore::open(readLocation, true);
    if (!rs)
        return u"open the read store: "_s + rs.error().message;
    if (checked)
        *checked = 0;
    if (!(*rs)->hasSchema())
        return {}; // killed before the first projection was set up
    auto checkpoints = (*rs)->checkpoints();
    if (!checkpoints)
        return u"checkpoints: "_s + checkpoints.error().message;
    // One build from zero per checkpoint position, of the projections there.
    QMap<qint64, QStringList> atPosition;
    for (const ProjectionCheckpoint &cp : std::as_const(*checkpoints)) {
        if (cp.position > head)
            return u"%1: checkpoint %2 passes the head %3"_s.arg(cp.name).arg(cp.position).arg(head);
        if (atHead && cp.position != head)
            return u"%1: checkpoint %2 after a full catch-up, head %3"_s.arg(cp.name).arg(cp.position).arg(head);
        if (cp.state != ProjectionState::Running)
            return u"%1 is %2: %3"_s.arg(cp.name, projectionStateName(cp.state), cp.lastError);
        atPosition[cp.position] << cp.name;
    }
    for (auto at = atPosition.cbegin(); at != atPosition.cend(); ++at) {
        auto scratch = ProjectionRunner::buildAsOf(store->get(), domain, at.key(), at.value());
        if (!scratch)
            return u"%1: build as of %2: %3"_s.arg(at->join(u", "_s)).arg(at.key()).arg(scratch.error().message);
        for (const QString &name : at.value()) {
            auto live = (*rs)->dump(name);
            if (!live)
                return u"%1: dump: %2"_s.arg(name, live.error().message);
            auto rebuilt = (*scratch)->dump(name);
            if (!rebuilt)
                return u"%1: dump the rebuild: %2"_s.arg(name, rebuilt.error().message);
            if (*live != *rebuilt) {
                QString diff;
                for (qsizetype i = 0; i < qMax(live->size(), rebuilt->size()) && diff.isEmpty(); ++i)
                    if (live->at(i) != rebuilt->at(i))
                        diff = u"row %1: live %2, rebuilt %3"_s.arg(i).arg(
                            QString::fromUtf8(QJsonDocument(live->at(i).toObject()).toJson(QJsonDocument::Compact)),
                            QString::fromUtf8(QJsonDocument(rebuilt->at(i).toObject()).toJson(QJsonDocument::Compact)));
                return u"%1 at checkpoint %2 differs from a build from zero (%3 rows live, %4 rebuilt; %5)"_s.arg(name)
                    .arg(at.key())
                    .arg(live->size())
                    .arg(rebuilt->size())
                    .arg(diff);
            }
            if (checked)
                ++*checked;
        }
    }
    return {};
}

} // namespace crash
