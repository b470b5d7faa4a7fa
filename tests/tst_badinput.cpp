// Bad input at every entry: the real eventscope-cli for exec, import, generate
// and project; the command pipeline (what the console and the HTTP gateway
// call) for what a command line cannot carry (NUL, lone surrogates, 1 MB, NaN).
// Each row asserts on the message and that nothing was written.
#include "commandpipeline.h"
#include "eventstore.h"
#include "identifiers.h"
#include "jsdomain.h"
#include "testsupport.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <limits>

using namespace Qt::StringLiterals;
using namespace es;

namespace {

struct Run {
    int code = -1;
    QByteArray out;
    QByteArray err;
    QString text() const { return QString::fromUtf8(out + err); }
};

Run finished(QProcess &p, const QByteArray &input)
{
    if (!input.isEmpty())
        p.write(input);
    p.closeWriteChannel();
    if (!p.waitForFinished(120000))
        qWarning() << "eventscope-cli timed out" << p.arguments();
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
            p.readAllStandardError()};
}

Run cli(const QStringList &args, const QByteArray &input = {})
{
    QProcess p;
    p.start(cliPath(), args);
    return finished(p, input);
}

// The CLI with `--stream BYTES` appended, the bytes passed as they are (through
// the shell's printf), so that a stream id that is not UTF-8 can be given.
Run cliWithRawStream(const QStringList &args, const QByteArray &stream, const QByteArray &input = {})
{
    QString octal;
    for (const char c : stream)
        octal += u"\\%1"_s.arg(uint(uchar(c)), 3, 8, QChar(u'0'));
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"ES_STREAM_OCTAL"_s, octal);
    p.setProcessEnvironment(env);
    p.start(u"/bin/sh"_s, QStringList{u"-c"_s, u"s=$(printf \"$ES_STREAM_OCTAL\"); exec \"$@\" --stream \"$s\""_s,
                                      u"sh"_s, cliPath()} +
                              args);
    return finished(p, input);
}

struct Written {
    qint64 head = -1;
    qint64 commands = -1;
};

Written written(const QString &store)
{
    auto opened = EventStore::open(store, EventStore::Mode::ReadOnly);
    if (!opened)
        return {};
    auto log = (*opened)->commands(0, 1'000'000);
    return {(*opened)->headPosition(), log ? qint64(log->size()) : -1};
}

Written written(EventStore &store)
{
    auto log = store.commands(0, 1'000'000);
    return {store.headPosition(), log ? qint64(log->size()) : -1};
}

// A pack built to misbehave on demand.
constexpr const char *HostilePack = R"js((function () { return {
  name: "hostile", version: "1",
  aggregates: {
    Doc: {
      initialState: { n: 0 },
      commands: {
        Put: { fields: { text: { type: "string", required: true }, meta: { type: "object" }, tags: { type: "array" } },
               decide: function (s, c) { return [{ type: "Put", data: { text: c.data.text } }]; } },
        BadType: { fields: {}, decide: function () { return [{ type: "Bad\nType", data: {} }]; } },
        Spread: { fields: { n: { type: "integer", required: true } },
                  decide: function (s, c) { return [{ type: "Spread", data: { n: c.data.n } }]; } },
        Leaf: { fields: {}, decide: function () { return [{ type: "Leaf", data: {} }]; } },
        Escape: { fields: {}, decide: function () { return [{ type: "Escaped", data: {} }]; } },
        Count: { fields: {}, decide: function () { return [{ type: "Counted", data: {} }]; } }
      },
      evolve: {
        Put: function (s) { return { n: s.n + 1 }; },
        Spread: function (s) { return s; },
        Leaf: function (s) { return s; },
        Escaped: function (s) { return s; },
        Counted: function (s) { return s; }
      }
    }
  },
  projections: {
    Counts: { kind: "table", columns: { n: "integer", label: "text" }, key: "stream",
              handlers: { Counted: function (row, event) { return { n: "a lot", label: "x" }; } } }
  },
  reactions: {
    FanOut: { on: "Spread", handle: function (event) {
      var out = [];
      for (var i = 0; i < event.data.n; i++) out.push({ command: "Leaf", stream: event.stream + "-leaf-" + i, data: {} });
      return out; } },
    BadStream: { on: "Escaped", handle: function (event) { return [{ command: "Leaf", stream: "leaf\u001b[31m", data: {} }]; } }
  }
}; })())js";

constexpr const char *BadTemplatePack = R"js((function () { return {
  name: "badtemplate", version: "1",
  aggregates: { Doc: { streamTemplate: "doc\n{n}", initialState: {},
    commands: { Put: { fields: {}, decide: function () { return [{ type: "Put", data: {} }]; } } },
    evolve: { Put: function (s) { return s; } } } }
}; })())js";

} // namespace

class TestBadInput : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_hostile;
    QString m_badTemplate;
    QString m_execStore;   // acc (bank, opened) and d-1 (hostile, one Put)
    QString m_importStore; // one event, so imported positions differ from the file's
    QByteArray m_export;   // three bank events as JSON Lines, hashes included

    QString path(const QString &name) const { return m_dir.filePath(name); }
    QString pack(const QString &name) const
    {
        return name == u"bank"_s ? bankPack() : name == u"hostile"_s ? m_hostile : m_badTemplate;
    }
    void writeFile(const QString &file, const QByteArray &bytes)
    {
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        QCOMPARE(f.write(bytes), bytes.size());
    }
    QString newStore(const QString &name)
    {
        const QString p = path(name);
        const Run r = cli({u"init"_s, p});
        if (r.code != 0)
            qFatal("init failed: %s", r.err.constData());
        return p;
    }
    Run exec(const QString &store, const QString &packName, const QString &stream, const QString &command,
             const QString &json, const QStringList &extra = {})
    {
        return cli(QStringList{u"exec"_s, store, u"--domain"_s, pack(packName), u"--stream"_s, stream} + extra +
                   QStringList{command, json});
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_hostile = path(u"hostile.js"_s);
        writeFile(m_hostile, HostilePack);
        m_badTemplate = path(u"badtemplate.js"_s);
        writeFile(m_badTemplate, BadTemplatePack);

        m_execStore = newStore(u"exec.db"_s);
        Run r = exec(m_execStore, u"bank"_s, u"acc"_s, u"OpenAccount"_s, uR"({"owner":"Ann","currency":"EUR"})"_s);
        QVERIFY2(r.code == 0, r.err.constData());

        const QString source = newStore(u"source.db"_s);
        QCOMPARE(exec(source, u"bank"_s, u"acc"_s, u"OpenAccount"_s, uR"({"owner":"Ann","currency":"EUR"})"_s).code, 0);
        QCOMPARE(exec(source, u"bank"_s, u"acc"_s, u"Deposit"_s, uR"({"amount": 10})"_s).code, 0);
        QCOMPARE(exec(source, u"bank"_s, u"acc"_s, u"Deposit"_s, uR"({"amount": 20})"_s).code, 0);
        r = cli({u"export"_s, source});
        QCOMPARE(r.code, 0);
        m_export = r.out;
        QCOMPARE(m_export.count('\n'), 3);

        m_importStore = newStore(u"import.db"_s);
        QCOMPARE(
            exec(m_importStore, u"bank"_s, u"other"_s, u"OpenAccount"_s, uR"({"owner":"Bo","currency":"EUR"})"_s).code,
            0);
        // The export itself imports (after the store's own event: other positions than the file's).
        const QString copy = newStore(u"copy.db"_s);
        QCOMPARE(exec(copy, u"bank"_s, u"other"_s, u"OpenAccount"_s, uR"({"owner":"Bo","currency":"EUR"})"_s).code, 0);
        r = cli({u"import"_s, copy, u"-"_s}, m_export);
        QVERIFY2(r.code == 0, r.err.constData());
        QCOMPARE(written(copy).head, 4);
        QCOMPARE(cli({u"verify"_s, copy}).code, 0);
    }

    // --- exec: the real CLI ------------------------------------------------------

    void execRefusesBadInput_data()
    {
        QTest::addColumn<QString>("packName");
        QTest::addColumn<QByteArray>("stream"); // raw bytes for argv
        QTest::addColumn<QStringList>("extra");
        QTest::addColumn<QString>("command");
        QTest::addColumn<QByteArray>("payload");
        QTest::addColumn<QString>("payloadFrom"); // arg, file, stdin, none
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("message");
        QTest::addColumn<bool>("logged"); // the rejection has a command log row

        const QByteArray deposit = R"({"amount": 5})";
        auto row = [](const char *name) { return &QTest::newRow(name); };
        *row("stream with ESC") << u"bank"_s << QByteArray("ac\x1b[31mc") << QStringList() << u"Deposit"_s << deposit
                                << u"arg"_s << 3 << u"stream id contains a control character (U+001B) at offset 2"_s
                                << false;
        *row("stream with newline") << u"bank"_s << QByteArray("acc\nx") << QStringList() << u"Deposit"_s << deposit
                                    << u"arg"_s << 3 << u"stream id contains a control character (U+000A) at offset 3"_s
                                    << false;
        *row("stream with C1") << u"bank"_s << QByteArray("acc\xc2\x9b") << QStringList() << u"Deposit"_s << deposit
                               << u"arg"_s << 3 << u"stream id contains a control character (U+009B) at offset 3"_s
                               << false;
        *row("stream not UTF-8") << u"bank"_s << QByteArray("ac\xff") << QStringList() << u"Deposit"_s << deposit
                                 << u"arg"_s << 3
                                 << u"stream id contains the replacement character (U+FFFD) at offset 2"_s << false;
        *row("stream as a UTF-8 surrogate")
            << u"bank"_s << QByteArray("\xed\xa0\x80") << QStringList() << u"Deposit"_s << deposit << u"arg"_s << 3
            << u"stream id contains the replacement"_s << false;
        *row("stream with bidi override")
            << u"bank"_s << QByteArray("acc\xe2\x80\xae") << QStringList() << u"Deposit"_s << deposit << u"arg"_s << 3
            << u"bidirectional formatting character (U+202E) at offset 3"_s << false;
        *row("stream too long") << u"bank"_s << QByteArray(300, 'a') << QStringList() << u"Deposit"_s << deposit
                                << u"arg"_s << 3 << u"stream id is 300 characters long: at most 200 are allowed"_s
                                << false;
        *row("stream with surrounding space")
            << u"bank"_s << QByteArray(" acc") << QStringList() << u"Deposit"_s << deposit << u"arg"_s << 3
            << u"stream id starts with white space"_s << false;
        *row("stream empty") << u"bank"_s << QByteArray() << QStringList() << u"Deposit"_s << deposit << u"arg"_s << 2
                             << u"missing --stream ID"_s << false;
        *row("command id with newline") << u"bank"_s << QByteArray("acc")
                                        << QStringList{u"--command-id"_s, u"c-1\nc-2"_s} << u"Deposit"_s << deposit
                                        << u"arg"_s << 3
                                        << u"command id contains a control character (U+000A) at offset 3"_s << false;
        *row("command id too long") << u"bank"_s << QByteArray("acc")
                                    << QStringList{u"--command-id"_s, QString(101, u'c')} << u"Deposit"_s << deposit
                                    << u"arg"_s << 3 << u"command id is 101 characters long: at most 100"_s << false;
        *row("amount 1e308") << u"bank"_s << QByteArray("acc") << QStringList() << u"Deposit"_s
                             << QByteArray(R"({"amount": 1e308})") << u"arg"_s << 3
                             << u"amount: 1e+308 exceeds the largest exactly representable integer"_s << true;
        *row("amount 2^53+1") << u"bank"_s << QByteArray("acc") << QStringList() << u"Deposit"_s
                              << QByteArray(R"({"amount": 9007199254740993})") << u"arg"_s << 3
                              << u"amount: 9007199254740993 exceeds the largest exactly representable integer"_s
                              << true;
        *row("amount -(2^53+1) from a file")
            << u"bank"_s << QByteArray("acc") << QStringList() << u"Withdraw"_s
            << QByteArray(R"({"amount": -9007199254740993})") << u"file"_s << 3
            << u"amount: -9007199254740993 exceeds the largest exactly representable integer"_s << true;
        *row("amount 1e999 on stdin") << u"bank"_s << QByteArray("acc") << QStringList() << u"Deposit"_s
                                      << QByteArray(R"({"amount": 1e999})") << u"stdin"_s << 2
                                      << u"the command payload has a number at column"_s << false;
        *row("nested number") << u"hostile"_s << QByteArray("d-2") << QStringList() << u"Put"_s
                              << QByteArray(R"({"text": "t", "meta": {"ids": [1, 18014398509481984]}})") << u"arg"_s
                              << 3 << u"meta.ids[1]: 18014398509481984 exceeds the largest exactly"_s << true;
        *row("payload file missing") << u"bank"_s << QByteArray("acc")
                                     << QStringList{u"--data-file"_s, u"/nonexistent/payload.json"_s} << u"Deposit"_s
                                     << QByteArray() << u"none"_s << 2 << u"cannot read the payload from"_s << false;
        *row("payload given twice") << u"bank"_s << QByteArray("acc")
                                    << QStringList{u"--data"_s, QString::fromLatin1(deposit)} << u"Deposit"_s << deposit
                                    << u"arg"_s << 2 << u"give the payload once"_s << false;
        *row("decide returns a bad event type")
            << u"hostile"_s << QByteArray("d-3") << QStringList() << u"BadType"_s << QByteArray("{}") << u"arg"_s << 2
            << u"returned an event whose event type contains a control character (U+000A) at offset 3"_s << true;
    }

    void execRefusesBadInput()
    {
        QFETCH(QString, packName);
        QFETCH(QByteArray, stream);
        QFETCH(QStringList, extra);
        QFETCH(QString, command);
        QFETCH(QByteArray, payload);
        QFETCH(QString, payloadFrom);
        QFETCH(int, exitCode);
        QFETCH(QString, message);
        QFETCH(bool, logged);

        const Written before = written(m_execStore);
        QVERIFY(before.head >= 1);
        QStringList args{u"exec"_s, m_execStore, u"--domain"_s, pack(packName)};
        args += extra;
        args << command;
        QByteArray input;
        if (payloadFrom == u"arg"_s) {
            args << QString::fromUtf8(payload);
        } else if (payloadFrom == u"file"_s) {
            const QString file = path(u"payload.json"_s);
            writeFile(file, payload);
            args << u"--data-file"_s << file;
        } else if (payloadFrom == u"stdin"_s) {
            args << u"--data"_s << u"-"_s;
            input = payload;
        }
        const Run r = stream.isEmpty() ? cli(args, input) : cliWithRawStream(args, stream, input);
        QVERIFY2(r.code == exitCode, qPrintable(u"exit %1: "_s.arg(r.code) + r.text()));
        QVERIFY2(r.text().contains(message), qPrintable(r.text()));
        const Written after = written(m_execStore);
        QCOMPARE(after.head, before.head);
        QCOMPARE(after.commands, before.commands + (logged ? 1 : 0));
    }

    // --- the pipeline, as the console and the HTTP gateway call it --------------

    void pipelineRefusesBadInput_data()
    {
        QTest::addColumn<QString>("packName");
        QTest::addColumn<QString>("stream");
        QTest::addColumn<QString>("commandId");
        QTest::addColumn<QString>("command");
        QTest::addColumn<QJsonObject>("payload");
        QTest::addColumn<QString>("message");
        QTest::addColumn<QString>("field");
        QTest::addColumn<bool>("logged");

        const QJsonObject deposit{{u"amount"_s, 5}};
        const QString acc = u"acc"_s;
        QTest::newRow("stream with NUL") << u"bank"_s << u"ac\0c"_s << QString() << u"Deposit"_s << deposit
                                         << u"stream id contains a control character (U+0000) at offset 2"_s
                                         << u"stream"_s << false;
        QTest::newRow("stream with a lone surrogate")
            << u"bank"_s << (u"a"_s + QChar(0xD800)) << QString() << u"Deposit"_s << deposit
            << u"stream id contains a lone surrogate (U+D800) at offset 1: it is not valid Unicode text"_s
            << u"stream"_s << false;
        QTest::newRow("stream with a reversed pair")
            << u"bank"_s << (QString(QChar(0xDC00)) + QChar(0xD800)) << QString() << u"Deposit"_s << deposit
            << u"stream id contains a lone surrogate (U+DC00) at offset 0"_s << u"stream"_s << false;
        QTest::newRow("stream of 1 MB") << u"bank"_s << QString(1024 * 1024, u'x') << QString() << u"Deposit"_s
                                        << deposit << u"stream id is 1048576 characters long: at most 200"_s
                                        << u"stream"_s << false;
        QTest::newRow("stream with ANSI colour")
            << u"bank"_s << u"\x1b[31mred"_s << QString() << u"Deposit"_s << deposit
            << u"stream id contains a control character (U+001B) at offset 0"_s << u"stream"_s << false;
        QTest::newRow("stream with DEL") << u"bank"_s << u"acc\x7f"_s << QString() << u"Deposit"_s << deposit
                                         << u"control character (U+007F) at offset 3"_s << u"stream"_s << false;
        QTest::newRow("stream with line separator")
            << u"bank"_s << u"acc\u2028x"_s << QString() << u"Deposit"_s << deposit
            << u"stream id contains a line separator (U+2028) at offset 3"_s << u"stream"_s << false;
        QTest::newRow("stream with zero-width space")
            << u"bank"_s << u"a\u200Bcc"_s << QString() << u"Deposit"_s << deposit
            << u"stream id contains an invisible character (U+200B) at offset 1"_s << u"stream"_s << false;
        QTest::newRow("stream ends with space") << u"bank"_s << u"acc "_s << QString() << u"Deposit"_s << deposit
                                                << u"stream id ends with white space"_s << u"stream"_s << false;
        QTest::newRow("stream empty") << u"bank"_s << QString() << QString() << u"Deposit"_s << deposit
                                      << u"stream id is empty"_s << u"stream"_s << false;
        QTest::newRow("command id with a lone surrogate")
            << u"bank"_s << acc << (u"c-"_s + QChar(0xDBFF)) << u"Deposit"_s << deposit
            << u"command id contains a lone surrogate (U+DBFF) at offset 2"_s << u"commandId"_s << false;
        QTest::newRow("command id with tab")
            << u"bank"_s << acc << u"c\t1"_s << u"Deposit"_s << deposit
            << u"command id contains a control character (U+0009) at offset 1"_s << u"commandId"_s << false;
        QTest::newRow("amount NaN") << u"bank"_s << acc << QString() << u"Deposit"_s
                                    << QJsonObject{{u"amount"_s, std::numeric_limits<double>::quiet_NaN()}}
                                    << u"amount: is not a finite number"_s << u"amount"_s << true;
        QTest::newRow("amount Infinity") << u"bank"_s << acc << QString() << u"Deposit"_s
                                         << QJsonObject{{u"amount"_s, std::numeric_limits<double>::infinity()}}
                                         << u"amount: is not a finite number"_s << u"amount"_s << true;
        QTest::newRow("amount 1e308") << u"bank"_s << acc << QString() << u"Deposit"_s
                                      << QJsonObject{{u"amount"_s, 1e308}}
                                      << u"amount: 1e+308 exceeds the largest exactly representable integer"_s
                                      << u"amount"_s << true;
        QTest::newRow("amount 2^53+1") << u"bank"_s << acc << QString() << u"Deposit"_s
                                       << QJsonDocument::fromJson(R"({"amount": 9007199254740993})").object()
                                       << u"9007199254740993 exceeds the largest exactly representable integer"_s
                                       << u"amount"_s << true;
        QTest::newRow("nested Infinity in an array")
            << u"hostile"_s << u"d-9"_s << QString() << u"Put"_s
            << QJsonObject{{u"text"_s, u"t"_s}, {u"tags"_s, QJsonArray{1, std::numeric_limits<double>::infinity()}}}
            << u"tags: tags[1]: is not a finite number"_s << u"tags"_s << true;
    }

    void pipelineRefusesBadInput()
    {
        QFETCH(QString, packName);
        QFETCH(QString, stream);
        QFETCH(QString, commandId);
        QFETCH(QString, command);
        QFETCH(QJsonObject, payload);
        QFETCH(QString, message);
        QFETCH(QString, field);
        QFETCH(bool, logged);

        auto domain = JsDomain::load(pack(packName));
        QVERIFY2(domain, qPrintable(domain.error().message));
        auto store = EventStore::open(
            path(u"pipeline-%1.db"_s.arg(QString::fromLatin1(QTest::currentDataTag())).replace(u' ', u'-')),
            EventStore::Mode::Create);
        QVERIFY2(store, qPrintable(store.error().message));
        CommandPipeline pipeline(store->get(), domain->get());
        if (packName == u"bank"_s) {
            Command open;
            open.type = u"OpenAccount"_s;
            open.stream = u"acc"_s;
            open.payload = {{u"owner"_s, u"Ann"_s}, {u"currency"_s, u"EUR"_s}};
            QVERIFY(pipeline.execute(open).accepted());
        }
        const Written before = written(**store);
        Command c;
        c.type = command;
        c.stream = stream;
        c.commandId = commandId;
        c.payload = payload;
        const CommandResult r = pipeline.execute(c);
        QCOMPARE(r.record.outcome, CommandOutcome::Rejected);
        QVERIFY2(r.record.reason.contains(message), qPrintable(r.record.reason));
        QVERIFY2(r.record.fieldErrors.contains(field), QJsonDocument(r.record.fieldErrors).toJson().constData());
        QVERIFY(r.events.isEmpty());
        const Written after = written(**store);
        QCOMPARE(after.head, before.head);
        QCOMPARE(after.commands, before.commands + (logged ? 1 : 0));
        QVERIFY((*store)->verify()->intact);
    }

    void identifierRulesAcceptOrdinaryIds_data()
    {
        QTest::addColumn<QString>("id");
        QTest::newRow("ascii") << u"account-42"_s;
        QTest::newRow("uuid") << u"01a241f6-5163-7338-a428-9a641394e6e6"_s;
        QTest::newRow("accents and CJK") << u"compte-élodie-東京"_s;
        QTest::newRow("emoji (a surrogate pair)") << u"team-🚀"_s;
        QTest::newRow("emoji with a joiner") << u"family-👩\u200D👧"_s;
        QTest::newRow("inner spaces") << u"Order Created"_s;
        QTest::newRow("200 characters") << QString(200, u'a');
        QTest::newRow("200 characters, surrogate pairs") << QString(200, u'x').replace(u"x"_s, u"🚀"_s);
    }
    void identifierRulesAcceptOrdinaryIds()
    {
        QFETCH(QString, id);
        QVERIFY2(identifiers::problem(identifiers::Kind::StreamId, id).isEmpty(),
                 qPrintable(identifiers::problem(identifiers::Kind::StreamId, id)));
    }

    // --- import: the real CLI ----------------------------------------------------

    void importRefusesBadInput_data()
    {
        QTest::addColumn<QByteArray>("file");
        QTest::addColumn<QString>("message");

        const QList<QByteArray> lines = m_export.trimmed().split('\n');
        QCOMPARE(lines.size(), 3);
        auto edit = [&lines](int line, const QByteArray &from, const QByteArray &to) -> QByteArray {
            QList<QByteArray> copy = lines;
            if (!copy[line].contains(from))
                qFatal("the export has no %s on line %d", from.constData(), line + 1);
            copy[line].replace(from, to);
            return copy.join('\n') + '\n';
        };
        QTest::newRow("stream with a lone surrogate")
            << edit(0, R"("stream":"acc")", R"("stream":"\ud800")")
            << u"line 1: stream id contains a lone surrogate (U+D800) at offset 0"_s;
        QTest::newRow("type with a lone surrogate")
            << edit(1, R"("type":"MoneyDeposited")", R"("type":"Money\udc00Deposited")")
            << u"line 2: event type contains a lone surrogate (U+DC00) at offset 5"_s;
        QTest::newRow("event id with a lone surrogate")
            << edit(2, "\"eventId\":\"", "\"eventId\":\"\\ud83d")
            << u"line 3: event id contains a lone surrogate (U+D83D) at offset 0"_s;
        QTest::newRow("stream with newline")
            << edit(0, R"("stream":"acc")", R"("stream":"a\ncc")")
            << u"line 1: stream id contains a control character (U+000A) at offset 1"_s;
        QTest::newRow("stream with NUL") << edit(0, R"("stream":"acc")", R"("stream":"acc\u0000")")
                                         << u"line 1: stream id contains a control character (U+0000) at offset 3"_s;
        QTest::newRow("stream with ANSI escape")
            << edit(0, R"("stream":"acc")", "\"stream\":\"\\u001b[2Jacc\"")
            << u"line 1: stream id contains a control character (U+001B) at offset 0"_s;
        QTest::newRow("stream of 1 MB") << edit(0, R"("stream":"acc")",
                                                "\"stream\":\"" + QByteArray(1 << 20, 'a') + '"')
                                        << u"line 1: stream id is 1048576 characters long: at most 200"_s;
        QTest::newRow("stream not a string")
            << edit(0, R"("stream":"acc")", R"("stream":42)") << u"line 1: \"stream\" must be a string"_s;
        QTest::newRow("stream type with a control character")
            << edit(0, R"("streamType":"Account")", R"("streamType":"Acc\tount")")
            << u"line 1: stream type contains a control character (U+0009) at offset 3"_s;
        QTest::newRow("schemaVersion -5") << edit(1, R"("schemaVersion":1)", R"("schemaVersion":-5)")
                                          << u"line 2: \"schemaVersion\" must be a positive integer"_s;
        QTest::newRow("schemaVersion 1.5") << edit(1, R"("schemaVersion":1)", R"("schemaVersion":1.5)")
                                           << u"line 2: \"schemaVersion\" must be a positive integer"_s;
        QTest::newRow("version 2^53") << edit(1, R"("version":2)", R"("version":9007199254740992)")
                                      << u"line 2: \"version\" must be a positive integer"_s;
        QTest::newRow("position 0") << edit(1, R"("position":2)", R"("position":0)")
                                    << u"line 2: \"position\" must be a positive integer"_s;
        QTest::newRow("hash not hex") << edit(2, R"("hash":")", R"("hash":"zz)")
                                      << u"line 3: \"hash\" must be a SHA-256 digest"_s;

        // Tampering: the file's own chain, whatever the positions.
        QTest::newRow("data changed") << edit(1, R"("amount":10)", R"("amount":1000)")
                                      << u"line 2: the hash of event"_s;
        auto shift = [](QByteArray file) -> QByteArray {
            for (int p = 3; p >= 1; --p)
                file.replace(QByteArray("\"position\":" + QByteArray::number(p) + ','),
                             QByteArray("\"position\":" + QByteArray::number(p + 10) + ','));
            return file;
        };
        QByteArray shifted = shift(m_export);
        shifted.replace(R"("amount":10)", R"("amount":1000)");
        QTest::newRow("data changed, positions shifted") << shifted << u"line 2: the hash of event"_s;
        QTest::newRow("positions shifted") << shift(m_export) << u"line 2: the hash of event"_s;
        QTest::newRow("first event changed")
            << edit(0, R"("owner":"Ann")", R"("owner":"Eve")") << u"line 1: the hash of event"_s;
        QTest::newRow("line removed") << QByteArray(lines[0] + '\n' + lines[2] + '\n')
                                      << u"line 2: the hash of event"_s;
        QTest::newRow("line removed (message)")
            << QByteArray(lines[0] + '\n' + lines[2] + '\n')
            << u"position 3 follows position 1: lines were removed, inserted or renumbered"_s;
        QTest::newRow("lines swapped") << QByteArray(lines[0] + '\n' + lines[2] + '\n' + lines[1] + '\n')
                                       << u"line 2: the hash of event"_s;
        QByteArray stripped = lines[0] + '\n' + lines[1] + '\n' + lines[2] + '\n';
        stripped.replace(lines[2].mid(lines[2].indexOf(",\"hash\":"), 74), QByteArray());
        QTest::newRow("one hash removed")
            << stripped << u"line 3: the event has no \"hash\", but line 1 has one: hashes were removed"_s;
    }

    void importRefusesBadInput()
    {
        QFETCH(QByteArray, file);
        QFETCH(QString, message);
        const Written before = written(m_importStore);
        QCOMPARE(before.head, 1);
        const Run r = cli({u"import"_s, m_importStore, u"-"_s}, file);
        QVERIFY2(r.code == 2, qPrintable(u"exit %1: "_s.arg(r.code) + r.text()));
        QVERIFY2(r.text().contains(message), qPrintable(r.text()));
        QVERIFY2(r.text().contains(u"nothing was imported"_s), qPrintable(r.text()));
        const Written after = written(m_importStore);
        QCOMPARE(after.head, before.head);
        QCOMPARE(after.commands, before.commands);
        QCOMPARE(cli({u"verify"_s, m_importStore}).code, 0);
    }

    // --- generate, reactions, projections ------------------------------------------

    void generateRefusesABadStreamTemplate()
    {
        const QString store = path(u"generate.db"_s);
        const Run r = cli({u"generate"_s, store, u"--domain"_s, m_badTemplate, u"--commands"_s, u"20"_s, u"--quiet"_s});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.text().contains(u"the streamTemplate of aggregate Doc makes stream ids that are refused: stream id "
                                   "contains a control character (U+000A) at offset 3"_s),
                 qPrintable(r.text()));
        const Written after = written(store);
        QCOMPARE(after.head, 0);
        QCOMPARE(after.commands, 0);
    }

    void reactionWithABadStreamIsNotSent()
    {
        auto domain = JsDomain::load(m_hostile);
        QVERIFY2(domain, qPrintable(domain.error().message));
        auto store = EventStore::open(u":memory:"_s, EventStore::Mode::Create);
        QVERIFY(store);
        CommandPipeline pipeline(store->get(), domain->get());
        Command c;
        c.type = u"Escape"_s;
        c.stream = u"e-1"_s;
        const CommandResult r = pipeline.execute(c);
        QVERIFY(r.accepted());
        QVERIFY2(r.reactionError.contains(u"reaction BadStream on Escaped (position 1) issued Leaf for a bad stream: "
                                          "stream id contains a control character (U+001B) at offset 4"_s),
                 qPrintable(r.reactionError));
        QVERIFY(r.reactions.isEmpty());
        QCOMPARE((*store)->headPosition(), 1);
        QVERIFY(!(*store)->streamInfo(u"leaf\x1b[31m"_s));
    }

    void reactionCapSaysItIsTheCap()
    {
        auto domain = JsDomain::load(m_hostile);
        QVERIFY2(domain, qPrintable(domain.error().message));
        auto store = EventStore::open(u":memory:"_s, EventStore::Mode::Create);
        QVERIFY(store);
        CommandPipeline pipeline(store->get(), domain->get());
        Command c;
        c.type = u"Spread"_s;
        c.stream = u"s-1"_s;
        c.payload = {{u"n"_s, 1005}};
        const CommandResult r = pipeline.execute(c);
        QVERIFY(r.accepted());
        QVERIFY2(r.reactionError.startsWith(u"stopped after 1,000 reaction commands in one correlation (the limit per "
                                            "command): raise the limit (eventscope-cli exec --max-reactions N)"_s),
                 qPrintable(r.reactionError));
        QVERIFY2(
            r.reactionError.contains(u"check the reaction FanOut, which was about to send Leaf to s-1-leaf-1000"_s),
            qPrintable(r.reactionError));
        QVERIFY(!r.reactionError.contains(u"loop"_s));
        QCOMPARE((*store)->headPosition(), 1 + 1000);
    }

    void reactionCapThroughTheCli()
    {
        const QString store = newStore(u"cap.db"_s);
        const Run r = exec(store, u"hostile"_s, u"s-1"_s, u"Spread"_s, uR"({"n": 12})"_s,
                           {u"--max-reactions"_s, u"5"_s, u"--json"_s});
        QVERIFY2(r.code == 0, qPrintable(r.text()));
        QCOMPARE(written(store).head, 1 + 5);
        const Run log = cli({u"commands"_s, store});
        QVERIFY2(log.out.contains("stopped after 5 reaction commands in one correlation"), log.out.constData());
        QCOMPARE(
            exec(store, u"hostile"_s, u"s-2"_s, u"Spread"_s, uR"({"n": 1})"_s, {u"--max-reactions"_s, u"-1"_s}).code,
            2);
    }

    void textInAnIntegerColumnIsAnError()
    {
        const QString store = newStore(u"projection.db"_s);
        QCOMPARE(exec(store, u"hostile"_s, u"c-1"_s, u"Count"_s, u"{}"_s).code, 0);
        const Run r = cli({u"project"_s, store, u"--domain"_s, m_hostile});
        QVERIFY2(r.code == 1, qPrintable(r.text()));
        QVERIFY2(r.text().contains(u"projection Counts, event Counted at position 1 (stream c-1), key 'c-1': column n "
                                   "is declared integer, but the handler gave it the text \"a lot\""_s),
                 qPrintable(r.text()));
        const Run q = cli({u"query"_s, store, u"--domain"_s, m_hostile, u"Counts"_s, u"--json"_s});
        QVERIFY2(q.code == 0, qPrintable(q.text()));
        const QJsonDocument rows = QJsonDocument::fromJson(q.out);
        QVERIFY2(!q.out.contains("a lot"), q.out.constData());
        QVERIFY2(rows.isArray() ? rows.array().isEmpty() : rows.object().value(u"rows"_s).toArray().isEmpty(),
                 q.out.constData());
    }

    // --- a big payload, end to end -----------------------------------------------------

    void payloadOfTenMegabytesFromAFile()
    {
        const QString store = newStore(u"big.db"_s);
        const QByteArray text(10 * 1024 * 1024, 'x');
        const QString file = path(u"big.json"_s);
        auto send = [&](const QByteArray &json) {
            writeFile(file, json);
            return cli({u"exec"_s, store, u"--domain"_s, m_hostile, u"--stream"_s, u"d-1"_s, u"Put"_s, u"--data-file"_s,
                        file});
        };
        // Read and parsed whole: validation sees the field after the 10 MB one.
        Run r = send("{\"text\": \"" + text + "\", \"extra\": 1}");
        QVERIFY2(r.code == 3, qPrintable(r.text().right(500)));
        QVERIFY2(r.text().contains(u"extra: unknown field"_s), qPrintable(r.text().right(500)));
        QCOMPARE(written(store).head, 0);

        // Through decide and into the store. Qt 6.4's JavaScript engine copies
        // the 10 MB string character by character: on a loaded machine decide can
        // exceed its 2 s budget, which is a clear error that writes nothing.
        r = send("{\"text\": \"" + text + "\"}");
        auto opened = EventStore::open(store, EventStore::Mode::ReadOnly);
        QVERIFY(opened);
        QVERIFY((*opened)->verify()->intact);
        if (r.code == 2) {
            QVERIFY2(r.text().contains(u"script interrupted after"_s), qPrintable(r.text().right(500)));
            QCOMPARE((*opened)->headPosition(), 0);
            qInfo("decide ran out of its time budget on the 10 MB payload: %s", qPrintable(r.text().right(200)));
            return;
        }
        QVERIFY2(r.code == 0, qPrintable(r.text().right(500)));
        auto events = (*opened)->readStream(u"d-1"_s);
        QVERIFY(events && events->size() == 1);
        QCOMPARE(events->constFirst().dataObject().value(u"text"_s).toString().size(), text.size());
    }

    void payloadFromStandardInput_data()
    {
        QTest::addColumn<QStringList>("option");
        QTest::newRow("--data -") << QStringList{u"--data"_s, u"-"_s};
        QTest::newRow("--data-file -") << QStringList{u"--data-file"_s, u"-"_s};
    }
    void payloadFromStandardInput()
    {
        QFETCH(QStringList, option);
        const QString store = newStore(u"stdin-%1.db"_s.arg(option.constFirst().mid(2)));
        QCOMPARE(exec(store, u"bank"_s, u"acc"_s, u"OpenAccount"_s, uR"({"owner":"Ann","currency":"EUR"})"_s).code, 0);
        const Run r = cli(
            QStringList{u"exec"_s, store, u"--domain"_s, bankPack(), u"--stream"_s, u"acc"_s, u"Deposit"_s} + option,
            R"({"amount": 12.5})");
        QVERIFY2(r.code == 0, qPrintable(r.text()));
        auto opened = EventStore::open(store, EventStore::Mode::ReadOnly);
        QVERIFY(opened);
        auto events = (*opened)->readStream(u"acc"_s);
        QVERIFY(events && events->size() == 2);
        QCOMPARE(events->constLast().dataObject().value(u"amount"_s).toDouble(), 12.5);
    }
};

QTEST_GUILESS_MAIN(TestBadInput)
#include "tst_badinput.moc"
