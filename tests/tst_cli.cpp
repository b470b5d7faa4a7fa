#include "testsupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;

namespace {

struct Run {
    int code = -1;
    QByteArray out;
    QByteArray err;
};

Run cli(const QStringList &args, const QByteArray &input = {})
{
    QProcess p;
    p.start(cliPath(), args);
    if (!input.isEmpty())
        p.write(input);
    p.closeWriteChannel();
    if (!p.waitForFinished(60000))
        qWarning() << "eventscope-cli timed out" << args;
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
            p.readAllStandardError()};
}

} // namespace

class TestCli : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString store(const QString &name) { return m_dir.filePath(name); }
    QString newStore(const QString &name)
    {
        const QString path = store(name);
        const Run r = cli({u"init"_s, path});
        if (r.code != 0)
            qFatal("init failed: %s", r.err.constData());
        return path;
    }
    Run exec(const QString &path, const QString &stream, const QString &command, const QString &json,
             const QStringList &extra = {})
    {
        return cli(QStringList{u"exec"_s, path, u"--domain"_s, bankPack(), u"--stream"_s, stream} + extra +
                   QStringList{command, json});
    }

private Q_SLOTS:
    void helpForEachSubcommand()
    {
        const Run overview = cli({u"--help"_s});
        QCOMPARE(overview.code, 0);
        for (const char *sub : {"init", "domain", "exec", "events", "streams", "replay", "verify", "export", "import"}) {
            QVERIFY2(overview.out.contains(sub), sub);
            const Run r = cli({QString::fromLatin1(sub), u"--help"_s});
            QCOMPARE(r.code, 0);
            QVERIFY2(r.out.contains("Usage: eventscope-cli"), r.out.constData());
        }
        QCOMPARE(cli({u"frobnicate"_s}).code, 2);
    }

    void execExitCodes()
    {
        const QString path = newStore(u"exit.db"_s);
        Run r = exec(path, u"acc-1"_s, u"OpenAccount"_s, uR"({"owner":"Ann","currency":"EUR"})"_s);
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.contains("AccountOpened"));
        r = exec(path, u"acc-1"_s, u"Withdraw"_s, uR"({"amount": 50})"_s);
        QCOMPARE(r.code, 3);
        QVERIFY2(r.out.contains("insufficient funds"), r.out.constData());
        r = exec(path, u"acc-1"_s, u"Deposit"_s, uR"({"amount": 5})"_s, {u"--expected-version"_s, u"7"_s});
        QCOMPARE(r.code, 4);
        QVERIFY2(r.out.contains("expected version 7"), r.out.constData());
        r = exec(path, u"acc-1"_s, u"Deposit"_s, uR"({"amount": )"_s);
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("malformed JSON"), r.err.constData());
        r = exec(path, u"acc-1"_s, u"Deposit"_s, uR"({"amount": 5})"_s, {u"--json"_s});
        QCOMPARE(r.code, 0);
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(o.value(u"outcome"_s).toString(), u"accepted"_s);
        QCOMPARE(o.value(u"events"_s).toArray().size(), 1);

        r = cli({u"replay"_s, path, u"--domain"_s, bankPack(), u"--stream"_s, u"acc-1"_s, u"--json"_s});
        QCOMPARE(r.code, 0);
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value(u"state"_s).toObject().value(u"balance"_s).toDouble(),
                 5.0);
        r = cli({u"replay"_s, path, u"--domain"_s, bankPack(), u"--stream"_s, u"acc-1"_s, u"--to-version"_s, u"1"_s,
                 u"--json"_s});
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value(u"version"_s).toInt(), 1);

        r = cli({u"events"_s, path, u"--json"_s});
        QCOMPARE(r.code, 0);
        QCOMPARE(QJsonDocument::fromJson(r.out).array().size(), 2);
        r = cli({u"streams"_s, path});
        QVERIFY(r.out.contains("acc-1  Account  v2"));
        r = cli({u"commands"_s, path, u"--json"_s});
        QCOMPARE(QJsonDocument::fromJson(r.out).array().size(), 4); // the malformed one never reached the engine
    }

    // Two processes send a command with the same expected version at the same time:
    // the write lock and the (stream, version) constraint let exactly one win.
    void concurrencyConflictBetweenProcesses()
    {
        const QString path = newStore(u"race.db"_s);
        QCOMPARE(exec(path, u"acc"_s, u"OpenAccount"_s, uR"({"owner":"Ann","currency":"EUR"})"_s).code, 0);
        for (int round = 0; round < 5; ++round) {
            const QString expected = QString::number(round + 1);
            QList<QProcess *> procs;
            for (int i = 0; i < 2; ++i) {
                auto *p = new QProcess(this);
                p->start(cliPath(), {u"exec"_s, path, u"--domain"_s, bankPack(), u"--stream"_s, u"acc"_s,
                                     u"--expected-version"_s, expected, u"Deposit"_s, uR"({"amount": 1})"_s});
                procs << p;
            }
            QList<int> codes;
            for (QProcess *p : procs) {
                QVERIFY(p->waitForFinished(60000));
                codes << p->exitCode();
                delete p;
            }
            std::sort(codes.begin(), codes.end());
            QCOMPARE(codes, (QList<int>{0, 4}));
        }
        const Run r = cli({u"events"_s, path, u"--stream"_s, u"acc"_s, u"--json"_s});
        const QJsonArray events = QJsonDocument::fromJson(r.out).array();
        QCOMPARE(events.size(), 6);
        for (int i = 0; i < events.size(); ++i)
            QCOMPARE(events[i].toObject().value(u"version"_s).toInt(), i + 1);
        QCOMPARE(cli({u"verify"_s, path}).code, 0);
    }

    void verifyNamesTheTamperedPosition()
    {
        const QString path = newStore(u"tamper.db"_s);
        QCOMPARE(exec(path, u"acc"_s, u"OpenAccount"_s, uR"({"owner":"Ann","currency":"EUR"})"_s).code, 0);
        QCOMPARE(exec(path, u"acc"_s, u"Deposit"_s, uR"({"amount": 10})"_s).code, 0);
        QCOMPARE(exec(path, u"acc"_s, u"Deposit"_s, uR"({"amount": 20})"_s).code, 0);
        QCOMPARE(cli({u"verify"_s, path}).code, 0);
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"tamper"_s);
            db.setDatabaseName(path);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(u"DROP TRIGGER events_append_only_update"_s));
            QVERIFY(q.exec(u"UPDATE events SET data = json_set(data, '$.amount', 10000) WHERE position = 2"_s));
            q.finish();
            db.close();
        }
        QSqlDatabase::removeDatabase(u"tamper"_s);
        const Run r = cli({u"verify"_s, path, u"--json"_s});
        QCOMPARE(r.code, 1);
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(o.value(u"intact"_s).toBool(), false);
        QCOMPARE(o.value(u"firstBadPosition"_s).toInt(), 2);
    }

    void exportImportThroughTheCli()
    {
        const QString path = newStore(u"src.db"_s);
        QCOMPARE(exec(path, u"acc"_s, u"OpenAccount"_s, uR"({"owner":"Ann","currency":"EUR"})"_s).code, 0);
        QCOMPARE(exec(path, u"acc"_s, u"Deposit"_s, uR"({"amount": 10})"_s).code, 0);
        const Run exported = cli({u"export"_s, path});
        QCOMPARE(exported.code, 0);
        QCOMPARE(exported.out.count('\n'), 2);

        const QString copy = store(u"copy.db"_s);
        QCOMPARE(cli({u"import"_s, copy, u"-"_s}, exported.out).code, 0);
        QCOMPARE(cli({u"export"_s, copy}).out, exported.out);

        QByteArray broken = exported.out;
        broken.replace("\"Deposit", "\"Deposit"); // unchanged lines, then a bad third line
        broken += "{not json}\n";
        const QString other = store(u"other.db"_s);
        const Run bad = cli({u"import"_s, other, u"-"_s}, broken);
        QCOMPARE(bad.code, 2);
        QVERIFY2(bad.err.contains("line 3"), bad.err.constData());
        QVERIFY2(bad.err.contains("nothing was imported"), bad.err.constData());
        QVERIFY(!QFile::exists(other)); // no empty store left behind
    }

    void badStoresAreRefused()
    {
        const QString text = store(u"notes.txt"_s);
        QFile f(text);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("just some notes\n");
        f.close();
        Run r = cli({u"events"_s, text});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("not an Eventscope store"), r.err.constData());
        r = cli({u"events"_s, store(u"missing.db"_s)});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("no such store"), r.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
