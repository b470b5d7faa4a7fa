// A bounded crash campaign: real `eventscope-cli exec`, `generate`, `import`
// and `project` processes SIGKILLed at random moments of their lives (start-up,
// loading the pack, opening or creating the store, deciding, committing,
// printing), on SQLite and, as tst_crash_pg, on PostgreSQL (storesupport.h).
// After every kill: nothing the process had acknowledged is lost, nothing is
// stored twice, the store verifies (`eventscope-cli verify`, positions and
// versions contiguous), and each read model equals a build from zero at its
// checkpoint, which never passes the head.
//
// Acknowledged means what the dead process had told its caller:
//   exec      its outcome (--json), printed after the commit;
//   generate  "committed N head H" (--progress-lines), printed after each commit (--durable);
//   import    "imported N event(s)"; before that, a file is in the store entirely or not at all;
//   project   prints nothing per batch: its read models must be exact at their checkpoints.
// A killed exec or import is retried as a client would (exec with the same command id):
// the retry must neither double the command nor lose it.
//
// ES_CRASH_SEED (default 12) repeats the workloads and kill delays (where a kill lands in
// the process still depends on the machine's timing); ES_CRASH_KILLS (default 50 on
// SQLite, 20 on PostgreSQL) sets the number of kills, e.g. ES_CRASH_KILLS=2000.
#include "crashsupport.h"
#include "jsdomain.h"
#include "storesupport.h"

#include <QFile>
#include <QJsonArray>
#include <QRandomGenerator>
#include <QTest>

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;
using namespace es;
using namespace crash;

namespace {

QString shopPack()
{
    return sourcePath(u"resources/domains/shop.js"_s);
}

const QStringList ShopProjections{u"OrdersPerCustomer"_s, u"Orders"_s, u"StockLevels"_s, u"ProductSearch"_s};

} // namespace

class TestCrash : public QObject {
    Q_OBJECT

private:
    TestStores m_stores;
    QTemporaryDir m_files;
    quint32 m_seed = 12;
    int m_total = 0;
    QRandomGenerator m_rng;
    int m_kills = 0;
    int m_atWrite = 0; // kills at a write to the WAL
    int m_draws = 0;   // delays drawn in this test function
    QElapsedTimer m_clock;
    std::unique_ptr<JsDomain> m_shop;
    QStringList m_summary;

    int share(double fraction) const { return qMax(1, int(std::lround(m_total * fraction))); }
    // A random delay within the process's usual life (start-up included), or on
    // SQLite, half of the time, the n-th write (1..maxWrites) to the WAL of `store`.
    // A process's first write transaction on a store nobody has open writes the
    // WAL's header (and syncs it), then its frames (and syncs them: the commit);
    // a kill seen at the second write lands in the commit's fsync.
    // Unarmed while the life is unknown: that run measures it.
    KillAt killPoint(const Life &life, const QString &store = {}, int maxWrites = 1)
    {
        if (!life.ms)
            return {};
        if (!testingPostgres() && !store.isEmpty() && m_rng.bounded(2))
            return {-1, store + u"-wal"_s, 1 + int(m_rng.bounded(quint32(maxWrites)))};
        // Stratified: successive delays fall in successive quarters of the life, so
        // that even a short campaign kills in start-up, mid-work and near the end.
        const qint64 span = life.ms * 11 / 10;
        const qint64 quarter = m_draws++ % 4;
        KillAt at;
        at.delayMs = int(span * quarter / 4 + m_rng.bounded(quint32(span / 4) + 1));
        return at;
    }
    void killed(const KillAt &at, Life &life, int *kills)
    {
        ++*kills;
        ++m_kills;
        if (at.file.isEmpty())
            life.killed();
        else
            ++m_atWrite;
    }
    QString where(const QString &scenario, int round, const KillAt &at, const QStringList &args) const
    {
        return u"[ES_CRASH_SEED=%1 tst_crash %2: %3, round %4, %5 of %6] "_s.arg(m_seed)
            .arg(QLatin1StringView(QTest::currentTestFunction()), scenario)
            .arg(round)
            .arg(at.describe(), command(args));
    }
    void report(const QString &scenario, int kills, const QString &detail, const QElapsedTimer &clock)
    {
        const QString line = u"%1: %2 kills%3, %4 s"_s.arg(scenario).arg(kills).arg(detail).arg(
            double(clock.elapsed()) / 1000, 0, 'f', 1);
        qInfo("%s", qPrintable(line));
        m_summary << line;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_files.isValid());
        bool ok = false;
        const quint32 seed = qEnvironmentVariable("ES_CRASH_SEED").toUInt(&ok);
        if (ok)
            m_seed = seed;
        m_total = qEnvironmentVariableIntValue("ES_CRASH_KILLS");
        if (m_total <= 0)
            m_total = testingPostgres() ? 20 : 50;
        qInfo("crash campaign on %s: seed %u (ES_CRASH_SEED repeats it), %d kills (ES_CRASH_KILLS)",
              testingPostgres() ? "PostgreSQL" : "SQLite", m_seed, m_total);
        auto shop = JsDomain::load(shopPack());
        QVERIFY2(shop, qPrintable(shop ? QString() : shop.error().message));
        m_shop = std::move(*shop);
        m_clock.start();
    }

    // Each test function draws from its own sequence, so that one can be repeated alone.
    void init()
    {
        m_draws = 0;
        m_rng.seed(m_seed ^ qChecksum(QByteArrayView(QTest::currentTestFunction())));
    }

    void cleanupTestCase()
    {
        qInfo("crash campaign: %d kills (%d of them at a write to the WAL) in %.1f s (seed %u)", m_kills, m_atWrite,
              double(m_clock.elapsed()) / 1000, m_seed);
        for (const QString &line : std::as_const(m_summary))
            qInfo("  %s", qPrintable(line));
    }

    // Deposits by command id: every killed exec is retried with the same id
    // until it answers. Each command's single event must then be stored exactly
    // once (a kill after the commit is answered by the logged outcome), and
    // each balance is the sum of the deposits.
    void execKilledAndRetried()
    {
        QElapsedTimer clock;
        clock.start();
        ES_STORE_LOCATION(store, m_stores, u"exec"_s);
        const Run init = runCli({u"init"_s, store});
        QVERIFY2(init.code == 0, init.err.constData());
        const int quota = share(0.3);
        const QStringList accounts{u"acct-crash-1"_s, u"acct-crash-2"_s, u"acct-crash-3"_s};
        QHash<QString, qint64> deposited;
        QHash<QString, QJsonObject> acked; // command id -> its event, as printed
        Life life;
        int kills = 0;
        int afterCommit = 0;
        int commands = 0;
        StoreFacts facts;
        for (int i = 0; kills < quota; ++i) {
            const QString account = i < accounts.size() ? accounts.at(i) : accounts.at(int(m_rng.bounded(3)));
            const QString id = u"crash-%1-%2"_s.arg(m_seed).arg(i);
            QStringList args{u"exec"_s,         store, u"--domain"_s, bankPack(), u"--stream"_s, account,
                             u"--command-id"_s, id,    u"--json"_s};
            qint64 amount = 0;
            if (i < accounts.size()) {
                args << u"OpenAccount"_s << u"{\"owner\":\"Crash Test\",\"currency\":\"EUR\"}"_s;
            } else {
                amount = 1 + m_rng.bounded(900);
                args << u"Deposit"_s << u"{\"amount\":%1}"_s.arg(amount);
            }
            bool wasKilled = false;
            for (int attempt = 0;; ++attempt) {
                // The first attempt is always armed; a retry half of the time.
                const KillAt kill = attempt == 0 || m_rng.bounded(2) ? killPoint(life, store, 3) : KillAt{};
                const Run r = runCli(args, kill);
                const QString at = where(u"exec"_s, i, kill, args);
                QVERIFY2(!r.crashed, qPrintable(at + u"died by itself: "_s + QString::fromUtf8(r.err)));
                if (r.killed) {
                    killed(kill, life, &kills);
                    wasKilled = true;
                    QString problem = checkStoreAt(store, true, &facts);
                    // One event per command: the acknowledged ones, and the one killed if it committed.
                    if (problem.isEmpty() && facts.head != acked.size() && facts.head != acked.size() + 1)
                        problem = u"%1 events for %2 acknowledged commands and one in flight"_s.arg(facts.head)
                                      .arg(acked.size());
                    for (auto it = acked.cbegin(); problem.isEmpty() && it != acked.cend(); ++it) {
                        const qint64 position = it->value(u"position"_s).toInteger();
                        if (facts.eventAt.value(position) != it->value(u"eventId"_s).toString())
                            problem = u"acknowledged event %1 of command %2 is no longer at position %3"_s
                                          .arg(it->value(u"eventId"_s).toString(), it.key())
                                          .arg(position);
                    }
                    QVERIFY2(problem.isEmpty(), qPrintable(at + problem));
                    continue;
                }
                QVERIFY2(r.code == 0, qPrintable(at + QString::fromUtf8(r.out + r.err)));
                life.ran(r.ranMs);
                const QJsonObject o = QJsonDocument::fromJson(r.out).object();
                QVERIFY2(o.value(u"outcome"_s).toString() == u"accepted"_s && o.value(u"commandId"_s).toString() == id,
                         qPrintable(at + QString::fromUtf8(r.out)));
                const QJsonArray events = o.value(u"events"_s).toArray();
                QVERIFY2(events.size() == 1, qPrintable(at + QString::fromUtf8(r.out)));
                if (o.value(u"repeated"_s).toBool()) {
                    // Only a kill after the commit can have logged it already.
                    QVERIFY2(wasKilled, qPrintable(at + u"a new command id answered as repeated"_s));
                    ++afterCommit;
                }
                acked.insert(id, events.first().toObject());
                deposited[account] += amount;
                ++commands;
                break;
            }
        }

        QString problem = checkStoreAt(store, true, &facts);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QCOMPARE(facts.head, qint64(commands));
        QCOMPARE(facts.commands, qint64(commands));
        auto opened = EventStore::open(store, EventStore::Mode::ReadOnly);
        QVERIFY2(opened, qPrintable(opened ? QString() : opened.error().message));
        for (const QString &account : accounts) {
            auto events = (*opened)->readStream(account);
            QVERIFY2(events && !events->isEmpty(), qPrintable(account));
            const qint64 balance =
                QJsonDocument::fromJson(events->constLast().data).object().value(u"balance"_s).toInteger();
            QCOMPARE(balance, deposited.value(account));
        }
        report(u"exec"_s, kills,
               u" (%1 commands, %2 killed after their commit and answered on retry)"_s.arg(commands).arg(afterCommit),
               clock);
    }

    // A durable workload killed again and again on one store (the first run
    // creates it): every command acknowledged by a "committed" line is in the
    // log, the head never falls below an acknowledged head, the store verifies.
    void generateKilled()
    {
        QElapsedTimer clock;
        clock.start();
        ES_STORE_LOCATION(store, m_stores, u"generate"_s);
        const int quota = share(0.2);
        Life life;
        {
            // Measured on a scratch SQLite file on either backend: a database of its own costs seconds on PostgreSQL.
            const QString scratch = m_files.filePath(u"generate-calibration.db"_s);
            const Run r = runCli({u"generate"_s, scratch, u"--domain"_s, shopPack(), u"--commands"_s, u"60"_s,
                                  u"--durable"_s, u"--quiet"_s});
            QVERIFY2(r.code == 0, r.err.constData());
            life.ran(r.ranMs);
        }
        int kills = 0;
        bool everAcked = false;
        StoreFacts facts;
        for (int round = 0; kills < quota; ++round) {
            const qint64 baseCommands = facts.commands;
            const QStringList args{
                u"generate"_s,   store,        u"--domain"_s,        shopPack(),
                u"--commands"_s, u"60"_s,      u"--seed"_s,          QString::number(m_seed * 1000 + round),
                u"--durable"_s,  u"--quiet"_s, u"--progress-lines"_s};
            const KillAt kill = killPoint(life, store, 40);
            const Run r = runCli(args, kill);
            const QString at = where(u"generate"_s, round, kill, args);
            QVERIFY2(!r.crashed, qPrintable(at + u"died by itself: "_s + QString::fromUtf8(r.err)));
            const Ack ack = lastAck(r.out);
            if (r.killed) {
                killed(kill, life, &kills);
            } else {
                QVERIFY2(r.code == 0, qPrintable(at + QString::fromUtf8(r.out + r.err)));
                QCOMPARE(ack.commands, qint64(60));
                life.ran(r.ranMs);
            }
            everAcked |= ack.commands > 0 || !r.killed;
            const QString problem = checkStoreAt(store, true, &facts);
            if (!everAcked && problem.startsWith(u"open: "_s))
                continue; // killed while creating the store, before it promised anything
            QVERIFY2(problem.isEmpty(), qPrintable(at + problem));
            QVERIFY2(
                facts.commands >= baseCommands + ack.commands,
                qPrintable(at + u"%1 commands logged; %2 before the run and %3 acknowledged by it"_s.arg(facts.commands)
                                    .arg(baseCommands)
                                    .arg(ack.commands)));
            QVERIFY2(facts.head >= ack.head,
                     qPrintable(at + u"head %1 after head %2 was acknowledged"_s.arg(facts.head).arg(ack.head)));
        }
        report(u"generate"_s, kills, u" (%1 commands, %2 events)"_s.arg(facts.commands).arg(facts.head), clock);
    }

    // An export imported in consecutive chunks into a replica, as `export --from`
    // feeds one: a killed import leaves its chunk in the store entirely or not
    // at all, the chunks acknowledged before stay where they were, and the
    // retry completes it. The first chunk creates the replica.
    void importKilled()
    {
        QElapsedTimer clock;
        clock.start();
        const int quota = share(0.15);
        const QString source = m_files.filePath(u"import-source.db"_s);
        const Run gen = runCli({u"generate"_s, source, u"--domain"_s, bankPack(), u"--commands"_s, u"600"_s,
                                u"--seed"_s, QString::number(m_seed), u"--quiet"_s});
        QVERIFY2(gen.code == 0, gen.err.constData());
        const Run exported = runCli({u"export"_s, source});
        QVERIFY2(exported.code == 0, exported.err.constData());
        // Chunk c holds the export's lines c*n/k .. (c+1)*n/k - 1: what `export --from` prints for a
        // replica that has the chunks before it (so positions and hashes carry over unchanged).
        QList<QByteArray> lines = exported.out.split('\n');
        lines.removeAll(QByteArray());
        const int chunkCount = qBound(1, qMin(quota, 8), int(lines.size()));
        QList<QStringList> chunkIds(chunkCount);
        QHash<QString, qint64> sourcePosition;
        QStringList chunkFiles;
        for (int c = 0; c < chunkCount; ++c) {
            QFile f(m_files.filePath(u"chunk-%1.jsonl"_s.arg(c)));
            QVERIFY(f.open(QIODevice::WriteOnly));
            for (qsizetype i = c * lines.size() / chunkCount; i < (c + 1) * lines.size() / chunkCount; ++i) {
                f.write(lines.at(i) + '\n');
                const QJsonObject e = QJsonDocument::fromJson(lines.at(i)).object();
                chunkIds[c] << e.value(u"eventId"_s).toString();
                sourcePosition.insert(chunkIds[c].constLast(), e.value(u"position"_s).toInteger());
            }
            chunkFiles << f.fileName();
        }

        Life life;
        {
            const QString scratch = m_files.filePath(u"import-calibration.db"_s);
            const Run r = runCli({u"import"_s, scratch, chunkFiles.first()});
            QVERIFY2(r.code == 0, r.err.constData());
            life.ran(r.ranMs);
        }
        int kills = 0;
        int afterCommit = 0;
        int targets = 0;
        QString target;
        QHash<QString, qint64> acked; // event id -> position, once its chunk was acknowledged
        for (int round = 0; kills < quota; ++round) {
            const int c = round % chunkCount;
            if (c == 0) { // a fresh store, created by the import itself
                target = m_stores.location(u"import%1"_s.arg(++targets));
                QVERIFY2(!target.isEmpty(), qPrintable(m_stores.error()));
                acked.clear();
            }
            const QStringList args{u"import"_s, target, chunkFiles.at(c)};
            bool present = false; // the chunk is in the store (a kill after the commit)
            for (int attempt = 0;; ++attempt) {
                const KillAt kill = attempt == 0 || m_rng.bounded(2) ? killPoint(life, target, 3) : KillAt{};
                const Run r = runCli(args, kill);
                const QString at = where(u"import"_s, round, kill, args);
                QVERIFY2(!r.crashed, qPrintable(at + u"died by itself: "_s + QString::fromUtf8(r.err)));
                if (!r.killed) {
                    QVERIFY2(r.code == 0, qPrintable(at + QString::fromUtf8(r.out + r.err)));
                    life.ran(r.ranMs);
                    const qint64 expected = present ? 0 : chunkIds.at(c).size();
                    QVERIFY2(r.out.startsWith(QByteArray("imported " + QByteArray::number(expected) + " event(s)")),
                             qPrintable(at + QString::fromUtf8(r.out)));
                }
                if (r.killed) {
                    killed(kill, life, &kills);
                }
                StoreFacts facts;
                const bool exists = testingPostgres() || QFile::exists(target);
                QString problem = exists ? checkStoreAt(target, false, &facts) : QString();
                if (problem.startsWith(u"open: "_s) && acked.isEmpty() && r.killed)
                    problem.clear(); // killed while creating the store: nothing is in it
                int found = 0;
                for (const QString &id : chunkIds.at(c))
                    found += facts.positionOfEvent.contains(id);
                if (problem.isEmpty() && found != 0 && found != chunkIds.at(c).size())
                    problem = u"%1 of the chunk's %2 events are in the store"_s.arg(found).arg(chunkIds.at(c).size());
                if (problem.isEmpty() && !r.killed && found == 0)
                    problem = u"the import answered, but its events are not in the store"_s;
                for (auto it = acked.cbegin(); problem.isEmpty() && it != acked.cend(); ++it)
                    if (facts.positionOfEvent.value(it.key()) != it.value())
                        problem = u"event %1, imported at %2, is now at %3"_s.arg(it.key())
                                      .arg(it.value())
                                      .arg(facts.positionOfEvent.value(it.key()));
                if (problem.isEmpty() && facts.head != acked.size() + found)
                    problem = u"%1 events, %2 expected"_s.arg(facts.head).arg(acked.size() + found);
                QVERIFY2(problem.isEmpty(), qPrintable(at + problem));
                if (r.killed && found > 0 && !present)
                    ++afterCommit;
                present = found > 0;
                if (!r.killed) {
                    for (const QString &id : chunkIds.at(c)) {
                        QCOMPARE(facts.positionOfEvent.value(id), sourcePosition.value(id));
                        acked.insert(id, facts.positionOfEvent.value(id));
                    }
                    break;
                }
            }
        }
        report(u"import"_s, kills,
               u" (%1 chunks of ~%2 events into %3 replicas; %4 killed after the commit)"_s.arg(chunkCount)
                   .arg(chunkIds.first().size())
                   .arg(targets)
                   .arg(afterCommit),
               clock);
    }

    // Projections killed while catching up in small batches (in the store's
    // file, and in a read store of their own) and while rebuilding: after each
    // kill every read model equals a build from zero at its checkpoint; after a
    // restart, one at the head, as a dry-run rebuild confirms.
    void projectKilled()
    {
        QElapsedTimer clock;
        clock.start();
        ES_STORE_LOCATION(store, m_stores, u"project"_s);
        // The read store of its own is a SQLite file on either backend (a PostgreSQL database
        // of its own costs seconds to create); the read models in the store itself are on its backend.
        const QString reads = m_files.filePath(u"project-reads.db"_s);
        const QStringList more{u"generate"_s, store, u"--domain"_s, shopPack(), u"--quiet"_s, u"--commands"_s};
        Run gen = runCli(more + QStringList{u"600"_s, u"--seed"_s, QString::number(m_seed)});
        QVERIFY2(gen.code == 0, gen.err.constData());
        const int quota = share(0.2);
        Life catchUp;
        Life rebuild;
        {
            const QString scratch = m_files.filePath(u"project-calibration.db"_s);
            const QStringList args{u"project"_s, store,  u"--domain"_s,     shopPack(),
                                   u"--batch"_s, u"5"_s, u"--read-store"_s, scratch};
            Run r = runCli(args);
            QVERIFY2(r.code == 0, r.err.constData());
            catchUp.ran(r.ranMs);
            r = runCli(args + QStringList{u"--rebuild"_s, u"Orders"_s});
            QVERIFY2(r.code == 0, r.err.constData());
            rebuild.ran(r.ranMs);
        }
        int kills = 0;
        int checked = 0;
        for (int round = 0; kills < quota; ++round) {
            const bool own = round % 2 == 1;
            const bool rebuilding = round % 4 == 3;
            QStringList args{u"project"_s, store, u"--domain"_s, shopPack(), u"--batch"_s, u"5"_s};
            if (own)
                args << u"--read-store"_s << reads;
            if (rebuilding)
                args << u"--rebuild"_s << ShopProjections.at(int(m_rng.bounded(4)));
            Life &life = rebuilding ? rebuild : catchUp;
            const KillAt kill = killPoint(life, own ? reads : store, 60);
            const Run r = runCli(args, kill);
            const QString at = where(u"project"_s, round, kill, args);
            QVERIFY2(!r.crashed, qPrintable(at + u"died by itself: "_s + QString::fromUtf8(r.err)));
            if (r.killed) {
                killed(kill, life, &kills);
            } else {
                QVERIFY2(r.code == 0, qPrintable(at + QString::fromUtf8(r.out + r.err)));
                life.ran(r.ranMs);
            }
            StoreFacts facts;
            QString problem = checkStoreAt(store, true, &facts);
            int n = 0;
            if (problem.isEmpty())
                problem = checkProjections(store, own ? reads : store, m_shop.get(), &n);
            QVERIFY2(problem.isEmpty(), qPrintable(at + problem));
            checked += n;
            if (!r.killed && !rebuilding) { // caught up: more events for the next runs to apply
                gen = runCli(more + QStringList{u"300"_s, u"--seed"_s, QString::number(m_seed * 1000 + round)});
                QVERIFY2(gen.code == 0, gen.err.constData());
            }
        }

        // Restarted: each read model at the head, equal to a rebuild from zero.
        auto opened = EventStore::open(store, EventStore::Mode::ReadOnly);
        QVERIFY(opened);
        const qint64 head = (*opened)->headPosition();
        opened->reset();
        for (const QString &target : {store, reads}) {
            QStringList args{u"project"_s, store, u"--domain"_s, shopPack()};
            if (target != store)
                args << u"--read-store"_s << reads;
            const Run r = runCli(args);
            QVERIFY2(r.code == 0, qPrintable(command(args) + QString::fromUtf8(r.out + r.err)));
            int n = 0;
            const QString problem = checkProjections(store, target, m_shop.get(), &n, true);
            QVERIFY2(problem.isEmpty(), qPrintable(problem));
            QCOMPARE(n, int(ShopProjections.size()));
            if (target != store)
                continue;
            // And the CLI's own comparison, on the model whose counters an event applied twice would raise.
            const Run d =
                runCli(args + QStringList{u"--rebuild"_s, u"OrdersPerCustomer"_s, u"--dry-run"_s, u"--json"_s});
            QVERIFY2(d.code == 0, d.err.constData());
            const QJsonObject diff = QJsonDocument::fromJson(d.out).object();
            QVERIFY2(diff.value(u"added"_s).toInteger() == 0 && diff.value(u"removed"_s).toInteger() == 0 &&
                         diff.value(u"changed"_s).toInteger() == 0 && diff.value(u"unchanged"_s).toInteger() > 0 &&
                         diff.value(u"livePosition"_s).toInteger() == head,
                     d.out.constData());
        }
        report(u"project"_s, kills,
               u" (%1 read models compared with a build from zero, head %2)"_s.arg(checked).arg(head), clock);
    }

    // The writer dies while two followers (`project --follow`, one into the
    // store, one into a read store of its own) have the store open: each
    // follower lives on and catches up with everything acknowledged; then the
    // followers are killed mid-batch, and their read models are exact.
    void writerKilledWhileFollowersRead()
    {
        QElapsedTimer clock;
        clock.start();
        ES_STORE_LOCATION(store, m_stores, u"mixed"_s);
        // A read store in a SQLite file, also beside a PostgreSQL store.
        const QString reads = m_files.filePath(u"mixed-reads.db"_s);
        Run gen = runCli({u"generate"_s, store, u"--domain"_s, shopPack(), u"--commands"_s, u"300"_s, u"--seed"_s,
                          QString::number(m_seed), u"--quiet"_s});
        QVERIFY2(gen.code == 0, gen.err.constData());
        const QList<QString> targets{store, reads};
        std::vector<std::unique_ptr<QProcess>> followers;
        for (const QString &target : targets) {
            QStringList args{u"project"_s, store, u"--domain"_s, shopPack(), u"--follow"_s, u"--json"_s};
            if (target != store)
                args << u"--read-store"_s << reads;
            auto p = std::make_unique<QProcess>();
            // To files: a pipe nobody reads while runCli waits would fill and stall the follower.
            p->setStandardOutputFile(m_files.filePath(u"follower-%1.out"_s.arg(followers.size())));
            p->setStandardErrorFile(m_files.filePath(u"follower-%1.err"_s.arg(followers.size())));
            p->start(cliPath(), args);
            QVERIFY(p->waitForStarted());
            followers.push_back(std::move(p));
        }
        auto atHead = [&](const QString &target) {
            auto es = EventStore::open(store, EventStore::Mode::ReadOnly);
            auto rs = ReadStore::open(target, true);
            if (!es || !rs || !(*rs)->hasSchema())
                return false;
            auto cps = (*rs)->checkpoints();
            if (!cps || cps->size() != ShopProjections.size())
                return false;
            for (const ProjectionCheckpoint &cp : std::as_const(*cps))
                if (cp.position != (*es)->headPosition())
                    return false;
            return true;
        };
        auto alive = [&] {
            for (const auto &f : followers) {
                f->waitForFinished(0); // outside an event loop, this is what notices an exit
                if (f->state() != QProcess::Running)
                    return false;
            }
            return true;
        };
        for (const QString &target : targets)
            QTRY_VERIFY_WITH_TIMEOUT(atHead(target), 60000);

        const int quota = qMax(2, share(0.15) - 2);
        Life life;
        int kills = 0;
        StoreFacts facts;
        for (int round = 0; kills < quota; ++round) {
            const qint64 baseCommands = facts.commands;
            const QStringList args{
                u"generate"_s,   store,        u"--domain"_s,        shopPack(),
                u"--commands"_s, u"60"_s,      u"--seed"_s,          QString::number(m_seed * 2000 + round),
                u"--durable"_s,  u"--quiet"_s, u"--progress-lines"_s};
            const KillAt kill = killPoint(life, store, 40);
            const Run r = runCli(args, kill);
            const QString at = where(u"mixed"_s, round, kill, args);
            QVERIFY2(!r.crashed, qPrintable(at + u"died by itself: "_s + QString::fromUtf8(r.err)));
            if (r.killed) {
                killed(kill, life, &kills);
            } else {
                QVERIFY2(r.code == 0, qPrintable(at + QString::fromUtf8(r.out + r.err)));
                life.ran(r.ranMs);
            }
            const Ack ack = lastAck(r.out);
            const QString problem = checkStoreAt(store, true, &facts);
            QVERIFY2(problem.isEmpty(), qPrintable(at + problem));
            QVERIFY2(
                facts.commands >= baseCommands + ack.commands && facts.head >= ack.head,
                qPrintable(at + u"%1 commands, head %2; acknowledged %3 more commands, head %4"_s.arg(facts.commands)
                                    .arg(facts.head)
                                    .arg(ack.commands)
                                    .arg(ack.head)));
            QVERIFY2(alive(), qPrintable(at + u"a follower died with the writer"_s));
        }
        for (const QString &target : targets)
            QTRY_VERIFY_WITH_TIMEOUT(atHead(target), 60000);
        QVERIFY(alive());

        // Now the followers die, mid-batch with luck: a writer gives them work first.
        QProcess writer;
        writer.start(cliPath(), {u"generate"_s, store, u"--domain"_s, shopPack(), u"--commands"_s, u"400"_s,
                                 u"--seed"_s, QString::number(m_seed + 1), u"--quiet"_s});
        QVERIFY(writer.waitForStarted());
        for (const auto &f : followers) {
            QTest::qWait(int(m_rng.bounded(400u)));
            QVERIFY(f->state() == QProcess::Running); // qWait ran the event loop: an exit would show
            f->kill();
            QVERIFY(f->waitForFinished());
            ++kills;
            ++m_kills;
        }
        // The qWaits above ran the event loop: the writer may have finished already
        // (waitForFinished then answers false).
        QVERIFY(writer.state() == QProcess::NotRunning || writer.waitForFinished(120000));
        QCOMPARE(writer.exitStatus(), QProcess::NormalExit);
        QCOMPARE(writer.exitCode(), 0);
        QString problem = checkStoreAt(store, true, &facts);
        for (const QString &target : targets)
            if (problem.isEmpty())
                problem = checkProjections(store, target, m_shop.get());
        QVERIFY2(
            problem.isEmpty(),
            qPrintable(u"[ES_CRASH_SEED=%1 tst_crash writerKilledWhileFollowersRead: followers killed] "_s.arg(m_seed) +
                       problem));
        // Restarted, they catch up from their checkpoints: exact at the head.
        for (const QString &target : targets) {
            QStringList args{u"project"_s, store, u"--domain"_s, shopPack()};
            if (target != store)
                args << u"--read-store"_s << reads;
            const Run r = runCli(args);
            QVERIFY2(r.code == 0, qPrintable(command(args) + QString::fromUtf8(r.out + r.err)));
            problem = checkProjections(store, target, m_shop.get(), nullptr, true);
            QVERIFY2(problem.isEmpty(), qPrintable(command(args) + problem));
        }
        report(u"writer killed while followers read"_s, kills,
               u" (%1 writers, 2 followers; %2 events)"_s.arg(kills - 2).arg(facts.head), clock);
    }
};

QTEST_GUILESS_MAIN(TestCrash)
#include "tst_crash.moc"
