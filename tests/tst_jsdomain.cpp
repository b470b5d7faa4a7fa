#include "jsdomain.h"
#include "testsupport.h"

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace es;
using namespace Qt::StringLiterals;

namespace {

RecordedEvent recorded(const QString &type, const QJsonObject &data, qint64 version, qint64 position,
                       const QString &stream = u"acc-1"_s)
{
    RecordedEvent e;
    e.type = type;
    e.data = QJsonDocument(data).toJson(QJsonDocument::Compact);
    e.metadata = R"({"actor":"alice","correlationId":"c-1"})";
    e.stream = stream;
    e.version = version;
    e.position = position;
    e.recordedMs = 1714564800000 + position;
    return e;
}

DecisionContext context(const QString &stream = u"acc-1"_s, QStringList ids = {})
{
    DecisionContext ctx;
    ctx.commandId = u"cmd-1"_s;
    ctx.stream = stream;
    ctx.actor = u"alice"_s;
    ctx.nowMs = 1714564800000; // 2024-05-01T12:00:00Z
    ctx.ids = std::move(ids);
    return ctx;
}

// A pack with one aggregate "Thing" whose commands and evolve handlers are the
// given source text; keeps the test packs short and their line numbers known.
QString thingPack(const QString &commands, const QString &evolve = {})
{
    return u"(function () {\n"                                                 // line 1
           u"  return { name: \"t\", version: \"1\", aggregates: { Thing: {\n" // line 2
           u"    initialState: { n: 0 },\n"                                    // line 3
           u"    commands: {\n"_s                                              // line 4
           + commands + u"\n    },\n    evolve: {\n"_s + evolve + u"\n    } } } };\n})();\n"_s;
}

} // namespace

class TestJsDomain : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    QString writePack(const QString &name, const QString &source)
    {
        const QString path = m_dir.filePath(name);
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
            qFatal("cannot write %s", qPrintable(path));
        f.write(source.toUtf8());
        return path;
    }

    std::unique_ptr<JsDomain> loadOrFail(const QString &path, int timeoutMs = 2000)
    {
        auto loaded = JsDomain::load(path, timeoutMs);
        if (!loaded) {
            qWarning().noquote() << loaded.error().message;
            return {};
        }
        return std::move(loaded).value();
    }

    std::unique_ptr<JsDomain> bank() { return loadOrFail(bankPack()); }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void bankInfo()
    {
        auto domain = bank();
        QVERIFY(domain);
        const DomainInfo &info = domain->info();
        QCOMPARE(info.name, u"bank"_s);
        QCOMPARE(info.version, u"1.0.0"_s);
        QVERIFY(!info.description.isEmpty());
        QFile f(bankPack());
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(info.contentHash,
                 QString::fromLatin1(QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256).toHex()));
        QVERIFY(info.sourcePath.endsWith(u"resources/domains/bank.js"_s));

        QCOMPARE(info.aggregates.size(), 1);
        const AggregateSpec &account = info.aggregates.constFirst();
        QCOMPARE(account.name, u"Account"_s);
        QStringList commands;
        for (const CommandSpec &c : account.commands)
            commands.append(c.name);
        QCOMPARE(commands, (QStringList{u"OpenAccount"_s, u"Deposit"_s, u"Withdraw"_s, u"SendTransfer"_s,
                                        u"ReceiveTransfer"_s, u"RefundTransfer"_s, u"CloseAccount"_s}));
        QCOMPARE(account.eventTypes,
                 (QStringList{u"AccountOpened"_s, u"MoneyDeposited"_s, u"MoneyWithdrawn"_s, u"AccountClosed"_s,
                              u"TransferSent"_s, u"TransferReceived"_s, u"TransferBounced"_s, u"TransferRefunded"_s}));

        const CommandSpec *open = info.command(u"OpenAccount"_s);
        QVERIFY(open);
        QCOMPARE(open->aggregate, u"Account"_s);
        QCOMPARE(open->fields.size(), 2);
        QCOMPARE(open->fields[0].name, u"owner"_s);
        QCOMPARE(open->fields[0].type, u"string"_s);
        QVERIFY(open->fields[0].required);
        QCOMPARE(open->fields[0].maxLength.value_or(-1), 80);
        QCOMPARE(open->fields[1].type, u"enum"_s);
        QCOMPARE(open->fields[1].values, (QStringList{u"EUR"_s, u"USD"_s, u"GBP"_s}));
        const CommandSpec *deposit = info.command(u"Account.Deposit"_s);
        QVERIFY(deposit);
        QCOMPARE(deposit->fields.constFirst().min.value_or(-1), 0.01);

        const QJsonObject json = info.toJson();
        QCOMPARE(json.value(u"name"_s).toString(), u"bank"_s);
        const QJsonObject accountJson = json.value(u"aggregates"_s).toArray().first().toObject();
        QCOMPARE(accountJson.value(u"commands"_s).toArray().size(), 7);
        QCOMPARE(accountJson.value(u"eventTypes"_s).toArray().size(), 8);
        const QJsonObject amount =
            accountJson.value(u"commands"_s).toArray()[1].toObject().value(u"fields"_s).toArray().first().toObject();
        QCOMPARE(amount.value(u"min"_s).toDouble(), 0.01);
        QVERIFY(!amount.contains(u"max"_s));

        auto initial = domain->initialState(u"Account"_s);
        QVERIFY(initial);
        QCOMPARE(initial->value(u"open"_s).toBool(), false);
        QCOMPARE(initial->value(u"balance"_s).toDouble(), 0.0);
        QCOMPARE(domain->initialState(u"Nope"_s).error().code, ErrorCode::NotFound);
    }

    void decideAccepted()
    {
        auto domain = bank();
        QVERIFY(domain);
        auto decision = domain->decide(u"Account"_s, *domain->initialState(u"Account"_s), u"OpenAccount"_s,
                                       {{u"owner"_s, u"Ada"_s}, {u"currency"_s, u"EUR"_s}}, context());
        QVERIFY2(decision, qPrintable(decision.error().message));
        QVERIFY(decision->accepted);
        QCOMPARE(decision->events.size(), 1);
        QCOMPARE(decision->events[0].type, u"AccountOpened"_s);
        QCOMPARE(decision->events[0].data.value(u"owner"_s).toString(), u"Ada"_s);
        // ctx.now is the ISO form of DecisionContext::nowMs.
        QCOMPARE(decision->events[0].data.value(u"openedAt"_s).toString(), u"2024-05-01T12:00:00.000Z"_s);

        // Deposit returns a single event object rather than an array.
        const QJsonObject open{{u"open"_s, true}, {u"closed"_s, false}, {u"balance"_s, 10}};
        auto deposit = domain->decide(u"Account"_s, open, u"Account.Deposit"_s, {{u"amount"_s, 2.5}}, context());
        QVERIFY2(deposit, qPrintable(deposit.error().message));
        QVERIFY(deposit->accepted);
        QCOMPARE(deposit->events.size(), 1);
        QCOMPARE(deposit->events[0].data.value(u"balance"_s).toDouble(), 12.5);
    }

    void decideRejected_data()
    {
        QTest::addColumn<QJsonObject>("state");
        QTest::addColumn<QString>("command");
        QTest::addColumn<QJsonObject>("payload");
        QTest::addColumn<QString>("reason");
        QTest::addColumn<QString>("field");

        const QJsonObject open{{u"open"_s, true}, {u"closed"_s, false}, {u"balance"_s, 10}};
        const QJsonObject closed{{u"open"_s, false}, {u"closed"_s, true}, {u"balance"_s, 0}};
        const QJsonObject fresh{{u"open"_s, false}, {u"closed"_s, false}, {u"balance"_s, 0}};
        QTest::newRow("overdraw") << open << u"Withdraw"_s << QJsonObject{{u"amount"_s, 25}}
                                  << u"insufficient funds: balance 10.00, requested 25.00"_s << u"amount"_s;
        QTest::newRow("not open") << fresh << u"Deposit"_s << QJsonObject{{u"amount"_s, 1}}
                                  << u"account acc-1 is not open"_s << QString();
        QTest::newRow("closed") << closed << u"Deposit"_s << QJsonObject{{u"amount"_s, 1}}
                                << u"account acc-1 is closed"_s << QString();
        QTest::newRow("open twice") << open << u"OpenAccount"_s
                                    << QJsonObject{{u"owner"_s, u"Ada"_s}, {u"currency"_s, u"EUR"_s}}
                                    << u"already open"_s << QString();
        QTest::newRow("close with money")
            << open << u"CloseAccount"_s << QJsonObject{} << u"balance must be zero"_s << QString();
        QTest::newRow("sub-cent") << open << u"Deposit"_s << QJsonObject{{u"amount"_s, 1.005}}
                                  << u"at most two decimals"_s << u"amount"_s;
    }
    void decideRejected()
    {
        QFETCH(QJsonObject, state);
        QFETCH(QString, command);
        QFETCH(QJsonObject, payload);
        QFETCH(QString, reason);
        QFETCH(QString, field);
        auto domain = bank();
        QVERIFY(domain);
        auto decision = domain->decide(u"Account"_s, state, command, payload, context());
        QVERIFY2(decision, qPrintable(decision.error().message));
        QVERIFY(!decision->accepted);
        QVERIFY(decision->events.isEmpty());
        QVERIFY2(decision->reason.contains(reason), qPrintable(decision->reason));
        if (!field.isEmpty())
            QVERIFY(decision->fieldErrors.contains(field));
    }

    void decideNoOpAndIds()
    {
        const QString path = writePack(u"ids.js"_s, thingPack(uR"(
      Nothing: { decide() { return []; } },
      Two: { decide(state, command, ctx) { return [{ type: "A", data: { id: ctx.newId() } }, { type: "A", data: { id: ctx.newId() } }]; } },
      Greedy: { decide(state, command, ctx) {
        ctx.newId();
        return [{ type: "A", data: { id: ctx.newId() } }]; } },
      Echo: { decide(state, command, ctx) { return { type: "Echoed", data: { command: command, actor: ctx.actor, nowMs: ctx.nowMs, n: state.n } }; } })"_s));
        auto domain = loadOrFail(path);
        QVERIFY(domain);

        auto noop = domain->decide(u"Thing"_s, {{u"n"_s, 0}}, u"Nothing"_s, {}, context());
        QVERIFY(noop);
        QVERIFY(noop->accepted);
        QVERIFY(noop->events.isEmpty());

        auto two = domain->decide(u"Thing"_s, {{u"n"_s, 0}}, u"Two"_s, {}, context(u"t-1"_s, {u"a"_s, u"b"_s, u"c"_s}));
        QVERIFY2(two, qPrintable(two.error().message));
        QCOMPARE(two->usedIds, (QStringList{u"a"_s, u"b"_s}));
        QCOMPARE(two->events[1].data.value(u"id"_s).toString(), u"b"_s);

        // Running out of ids is an error of the pack, located at the pack's line (line 10).
        auto greedy = domain->decide(u"Thing"_s, {{u"n"_s, 0}}, u"Greedy"_s, {}, context(u"t-1"_s, {u"a"_s}));
        QVERIFY(!greedy);
        QCOMPARE(greedy.error().code, ErrorCode::Script);
        QVERIFY2(greedy.error().message.startsWith(u"ids.js:10: ctx.newId(): no ids left"_s),
                 qPrintable(greedy.error().message));

        auto echo = domain->decide(u"Thing"_s, {{u"n"_s, 7}}, u"Echo"_s, {{u"x"_s, 1}}, context(u"t-9"_s));
        QVERIFY2(echo, qPrintable(echo.error().message));
        const QJsonObject data = echo->events[0].data;
        QCOMPARE(data.value(u"n"_s).toInt(), 7);
        QCOMPARE(data.value(u"actor"_s).toString(), u"alice"_s);
        QCOMPARE(data.value(u"nowMs"_s).toDouble(), 1714564800000.0);
        const QJsonObject command = data.value(u"command"_s).toObject();
        QCOMPARE(command.value(u"type"_s).toString(), u"Echo"_s);
        QCOMPARE(command.value(u"stream"_s).toString(), u"t-9"_s);
        QCOMPARE(command.value(u"commandId"_s).toString(), u"cmd-1"_s);
        QCOMPARE(command.value(u"data"_s).toObject(), (QJsonObject{{u"x"_s, 1}}));

        auto unknown = domain->decide(u"Thing"_s, {}, u"Nope"_s, {}, context());
        QCOMPARE(unknown.error().code, ErrorCode::NotFound);
    }

    void scriptErrors_data()
    {
        QTest::addColumn<QString>("command");
        QTest::addColumn<QString>("message");
        QTest::newRow("Error") << u"Throws"_s << u"errors.js:6: boom (while deciding Throws on stream s-1)"_s;
        QTest::newRow("TypeError") << u"Types"_s << u"errors.js:7: TypeError: "_s;
        QTest::newRow("string") << u"Strings"_s << u"errors.js: uncaught exception: plain string"_s;
        QTest::newRow("undefined") << u"Forgets"_s << u"errors.js: decide for Forgets returned undefined"_s;
        QTest::newRow("event without type") << u"Typeless"_s << u"returned an event without a type (index 0)"_s;
        QTest::newRow("data not an object") << u"BadData"_s << u"whose data is a number, expected an object"_s;
    }
    void scriptErrors()
    {
        QFETCH(QString, command);
        QFETCH(QString, message);
        const QString path = writePack(u"errors.js"_s, thingPack(uR"(
      Throws: { decide() { throw new Error("boom"); } },
      Types: { decide(state) { return state.missing.field; } },
      Strings: { decide() { throw "plain string"; } },
      Forgets: { decide() { } },
      Typeless: { decide() { return [{ data: {} }]; } },
      BadData: { decide() { return [{ type: "A", data: 5 }]; } })"_s));
        auto domain = loadOrFail(path);
        QVERIFY(domain);
        auto decision = domain->decide(u"Thing"_s, {{u"n"_s, 0}}, command, {}, context(u"s-1"_s));
        QVERIFY(!decision);
        QCOMPARE(decision.error().code, ErrorCode::Script);
        QVERIFY2(decision.error().message.contains(message), qPrintable(decision.error().message));
        // A thrown error leaves the domain usable.
        QVERIFY(domain->decide(u"Thing"_s, {{u"n"_s, 0}}, u"Typeless"_s, {}, context()).error().code ==
                ErrorCode::Script);
    }

    void syntaxError()
    {
        const QString path = writePack(
            u"syntax.js"_s, u"(function () {\n  const pack = {\n    name: \"x\",,\n  };\n  return pack;\n})();\n"_s);
        auto loaded = JsDomain::load(path);
        QVERIFY(!loaded);
        QCOMPARE(loaded.error().code, ErrorCode::Script);
        QVERIFY2(loaded.error().message.startsWith(u"syntax.js:3: SyntaxError"_s), qPrintable(loaded.error().message));
    }

    void runawayDecide()
    {
        const QString path = writePack(u"spin.js"_s, thingPack(uR"(
      Spin: { decide() { while (true) {} } },
      Fine: { decide() { return []; } })"_s));
        auto domain = loadOrFail(path, 300);
        QVERIFY(domain);
        QElapsedTimer timer;
        timer.start();
        auto decision = domain->decide(u"Thing"_s, {}, u"Spin"_s, {}, context(u"s-1"_s));
        const qint64 elapsed = timer.elapsed();
        QVERIFY(!decision);
        QCOMPARE(decision.error().code, ErrorCode::Script);
        QCOMPARE(decision.error().message,
                 u"spin.js: script interrupted after 300 ms (while deciding Spin on stream s-1)"_s);
        QVERIFY2(elapsed >= 250 && elapsed < 3000, qPrintable(QString::number(elapsed)));
        // The interruption is cleared: the next call runs.
        auto fine = domain->decide(u"Thing"_s, {}, u"Fine"_s, {}, context());
        QVERIFY2(fine, qPrintable(fine.error().message));
        QVERIFY(fine->accepted);
    }

    void runawayLoad()
    {
        const QString path = writePack(u"spinload.js"_s, u"while (true) {}\n"_s);
        QElapsedTimer timer;
        timer.start();
        auto loaded = JsDomain::load(path, 200);
        QVERIFY(!loaded);
        QCOMPARE(loaded.error().message, u"spinload.js: script interrupted after 200 ms (while loading)"_s);
        QVERIFY(timer.elapsed() < 3000);
    }

    void evolveAndFold()
    {
        auto domain = bank();
        QVERIFY(domain);
        EventList events;
        events.append(recorded(u"AccountOpened"_s, {{u"owner"_s, u"Ada"_s}, {u"currency"_s, u"EUR"_s}}, 1, 11));
        for (int i = 0; i < 100; ++i)
            events.append(recorded(u"MoneyDeposited"_s, {{u"amount"_s, 0.1}}, i + 2, i + 12));
        events.append(recorded(u"SomethingElse"_s, {{u"x"_s, 1}}, 102, 112)); // no handler: ignored
        events.append(recorded(u"MoneyWithdrawn"_s, {{u"amount"_s, 2.5}}, 103, 113));

        const QJsonObject initial = *domain->initialState(u"Account"_s);
        auto folded = domain->fold(u"Account"_s, initial, events);
        QVERIFY2(folded, qPrintable(folded.error().message));

        QJsonObject stepped = initial;
        for (const RecordedEvent &e : std::as_const(events)) {
            auto next = domain->evolve(u"Account"_s, stepped, e);
            QVERIFY2(next, qPrintable(next.error().message));
            stepped = *next;
        }
        QCOMPARE(*folded, stepped);
        auto byDefault = domain->Domain::fold(u"Account"_s, initial, events);
        QVERIFY(byDefault);
        QCOMPARE(*folded, *byDefault);

        QCOMPARE(folded->value(u"balance"_s).toDouble(), 7.5);
        QCOMPARE(folded->value(u"owner"_s).toString(), u"Ada"_s);
        QCOMPARE(folded->value(u"open"_s).toBool(), true);

        QCOMPARE(*domain->fold(u"Account"_s, initial, {}), initial);
        QCOMPARE(domain->fold(u"Nope"_s, initial, events).error().code, ErrorCode::NotFound);
    }

    void eventShape()
    {
        // The event an evolve handler sees, and upcasting of an older schema version.
        const QString path = writePack(u"shape.js"_s, uR"((function () {
  return {
    name: "shape",
    aggregates: {
      Thing: {
        evolve: {
          Seen(state, event) {
            return { event: JSON.parse(JSON.stringify(event)), keys: Object.keys(event), actor: event.metadata.actor };
          },
          Renamed(state, event) { return { data: event.data }; }
        }
      }
    },
    // Version 1 stored { name }, version 2 { fullName }, version 3 added v3.
    upcasters: {
      Renamed: {
        1: function (data) { return { fullName: data.name }; },
        2: function (data) { return Object.assign({ v3: true }, data); }
      }
    }
  };
})();
)"_s);
        auto domain = loadOrFail(path);
        QVERIFY(domain);
        const RecordedEvent seen = recorded(u"Seen"_s, {{u"a"_s, 1}}, 4, 40, u"t-1"_s);
        auto state = domain->evolve(u"Thing"_s, {}, seen);
        QVERIFY2(state, qPrintable(state.error().message));
        const QJsonObject event = state->value(u"event"_s).toObject();
        QCOMPARE(event.value(u"type"_s).toString(), u"Seen"_s);
        QCOMPARE(event.value(u"data"_s).toObject(), (QJsonObject{{u"a"_s, 1}}));
        QCOMPARE(event.value(u"stream"_s).toString(), u"t-1"_s);
        QCOMPARE(event.value(u"version"_s).toInt(), 4);
        QCOMPARE(event.value(u"position"_s).toInt(), 40);
        QCOMPARE(event.value(u"recordedAt"_s).toString(), u"2024-05-01T12:00:00.040Z"_s);
        QCOMPARE(event.value(u"metadata"_s).toObject().value(u"correlationId"_s).toString(), u"c-1"_s);
        QCOMPARE(state->value(u"actor"_s).toString(), u"alice"_s);
        QCOMPARE(state->value(u"keys"_s).toArray().size(), 7);

        RecordedEvent old = recorded(u"Renamed"_s, {{u"name"_s, u"Ada"_s}}, 5, 41, u"t-1"_s);
        old.schemaVersion = 1;
        auto upcast = domain->evolve(u"Thing"_s, {}, old);
        QVERIFY2(upcast, qPrintable(upcast.error().message));
        QCOMPARE(upcast->value(u"data"_s).toObject(), (QJsonObject{{u"fullName"_s, u"Ada"_s}, {u"v3"_s, true}}));
        old.schemaVersion = 3; // already current: untouched
        QCOMPARE(domain->evolve(u"Thing"_s, {}, old)->value(u"data"_s).toObject(),
                 (QJsonObject{{u"name"_s, u"Ada"_s}}));
    }

    void evolveErrors_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("message");
        QTest::newRow("throws") << u"Boom"_s << u"evolving.js:9: kaput (while applying Boom at position 77)"_s;
        QTest::newRow("returns nothing")
            << u"Nothing"_s
            << u"evolving.js: evolve.Nothing returned undefined instead of the next state object (while applying Nothing at position 77)"_s;
    }
    void evolveErrors()
    {
        QFETCH(QString, type);
        QFETCH(QString, message);
        const QString path = writePack(u"evolving.js"_s, thingPack(QString(), uR"(
      Boom(state, event) { throw new Error("kaput"); },
      Nothing(state, event) { state.n = 1; })"_s));
        auto domain = loadOrFail(path);
        QVERIFY(domain);
        EventList events{recorded(type, {}, 1, 77)};
        auto folded = domain->fold(u"Thing"_s, {}, events);
        QVERIFY(!folded);
        QCOMPARE(folded.error().code, ErrorCode::Script);
        QCOMPARE(folded.error().message, message);
    }

    void brokenPacks_data()
    {
        QTest::addColumn<QString>("source");
        QTest::addColumn<QString>("message");
        auto commandWith = [](const QString &command) -> QString {
            return u"({ name: \"b\", aggregates: { Account: { commands: { Deposit: "_s + command + u" } } } })"_s;
        };
        QTest::newRow("number") << u"42;"_s << u"broken.js: the pack evaluates to a number, not an object"_s;
        QTest::newRow("nothing") << u"var x = 1;"_s << u"evaluates to undefined, not an object"_s;
        QTest::newRow("no name") << u"({ aggregates: {} })"_s << u"broken.js: the pack has no name"_s;
        QTest::newRow("no aggregates") << u"({ name: \"b\", aggregates: {} })"_s << u"declares no aggregates"_s;
        QTest::newRow("missing decide")
            << commandWith(u"{ fields: {} }"_s)
            << u"broken.js: aggregate 'Account': command 'Deposit' has no decide function"_s;
        QTest::newRow("unknown field type")
            << commandWith(u"{ fields: { amount: { type: \"numbr\" } }, decide() { return []; } }"_s)
            << u"aggregate 'Account': command 'Deposit': field 'amount' has unknown type 'numbr'"_s;
        QTest::newRow("unknown field key")
            << commandWith(u"{ fields: { amount: { type: \"number\", minimum: 1 } }, decide() { return []; } }"_s)
            << u"field 'amount' has unknown key 'minimum'"_s;
        QTest::newRow("enum without values")
            << commandWith(u"{ fields: { c: { type: \"enum\" } }, decide() { return []; } }"_s)
            << u"field 'c' is an enum without values"_s;
        QTest::newRow("bad pattern")
            << commandWith(u"{ fields: { c: { type: \"string\", pattern: \"[a-\" } }, decide() { return []; } }"_s)
            << u"field 'c' has an invalid pattern"_s;
        QTest::newRow("min not a number")
            << commandWith(u"{ fields: { c: { type: \"number\", min: \"1\" } }, decide() { return []; } }"_s)
            << u"field 'c': min must be a number"_s;
        QTest::newRow("evolve not a function")
            << u"({ name: \"b\", aggregates: { A: { commands: {}, evolve: { X: 1 } } } })"_s
            << u"aggregate 'A': evolve.X is not a function"_s;
        QTest::newRow("initial state")
            << u"({ name: \"b\", aggregates: { A: { initialState: function () { return 3; } } } })"_s
            << u"initialState returned a number, expected an object"_s;
        QTest::newRow("projection kind")
            << u"({ name: \"b\", aggregates: { A: {} }, projections: { p: { kind: \"tabel\", handlers: {} } } })"_s
            << u"projection 'p': kind must be one of table, search, page"_s;
        QTest::newRow("reaction without on")
            << u"({ name: \"b\", aggregates: { A: {} }, reactions: { r: { handle() { return []; } } } })"_s
            << u"reaction 'r' has no 'on' event type"_s;
        QTest::newRow("upcaster version")
            << u"({ name: \"b\", aggregates: { A: {} }, upcasters: { E: { one: function (d) { return d; } } } })"_s
            << u"upcasters.E: 'one' is not a schema version"_s;
        QTest::newRow("throws while loading")
            << u"\n\nthrow new Error(\"at load\");"_s << u"broken.js:3: at load (while loading)"_s;
    }
    void brokenPacks()
    {
        QFETCH(QString, source);
        QFETCH(QString, message);
        auto loaded = JsDomain::load(writePack(u"broken.js"_s, source));
        QVERIFY(!loaded);
        QCOMPARE(loaded.error().code, ErrorCode::Script);
        QVERIFY2(loaded.error().message.contains(message), qPrintable(loaded.error().message));
    }

    void missingFile()
    {
        auto loaded = JsDomain::load(m_dir.filePath(u"nope.js"_s));
        QVERIFY(!loaded);
        QCOMPARE(loaded.error().code, ErrorCode::Io);
        QVERIFY2(loaded.error().message.contains(u"nope.js"_s), qPrintable(loaded.error().message));
    }

    void projectionsReactionsAndLookup()
    {
        const QString path = writePack(u"full.js"_s, uR"(
const pack = {
  name: "full",
  aggregates: {
    Account: { commands: { Open: { decide() { return []; } }, Close: { decide() { return []; } } } },
    Card: { commands: { Open: { decide() { return []; } } } }
  },
  projections: {
    balances: { kind: "table", table: "balances", key: "stream", columns: { balance: "number" },
                handlers: { Opened(row, event) { return row; }, Closed(row, event) { return null; } } },
    statements: { kind: "page", path: "/accounts/{stream}.html", render: function () { return ""; }, handlers: {} }
  },
  reactions: { welcome: { on: "Opened", handle(event, ctx) { return []; } } }
};
module.exports = pack;
void 0; // the completion value is undefined: the pack is taken from module.exports, as Node would
)"_s);
        auto domain = loadOrFail(path);
        QVERIFY(domain);
        const DomainInfo &info = domain->info();
        QCOMPARE(info.version, u"0.0.0"_s);
        QCOMPARE(info.projections.size(), 2);
        QCOMPARE(info.projections[0].name, u"balances"_s);
        QCOMPARE(info.projections[0].kind, u"table"_s);
        QCOMPARE(info.projections[0].eventTypes, (QStringList{u"Opened"_s, u"Closed"_s}));
        QCOMPARE(info.projections[0].definition.value(u"table"_s).toString(), u"balances"_s);
        QVERIFY(!info.projections[0].definition.contains(u"handlers"_s));
        QVERIFY(!info.projections[1].definition.contains(u"render"_s));
        QCOMPARE(info.reactions.size(), 1);
        QCOMPARE(info.reactions[0].eventType, u"Opened"_s);

        QString error;
        QVERIFY(!info.command(u"Open"_s, &error));
        QVERIFY2(error.startsWith(u"ambiguous command Open: use Aggregate.Open"_s), qPrintable(error));
        QVERIFY(error.contains(u"Account.Open or Card.Open"_s));
        const CommandSpec *cardOpen = info.command(u"Card.Open"_s, &error);
        QVERIFY(cardOpen);
        QCOMPARE(cardOpen->aggregate, u"Card"_s);
        QCOMPARE(info.command(u"Close"_s)->aggregate, u"Account"_s);
        QVERIFY(!info.command(u"Fly"_s, &error));
        QCOMPARE(error, u"unknown command Fly (available commands: Account.Open, Close, Card.Open)"_s);
        QVERIFY(!info.command(u"Boat.Open"_s, &error));
        QVERIFY(error.startsWith(u"unknown aggregate Boat"_s));
        QVERIFY(!info.command(u"Card.Close"_s, &error));
        QVERIFY(error.startsWith(u"unknown command Card.Close"_s));
        QVERIFY(info.aggregate(u"Card"_s));
        QVERIFY(!info.aggregate(u"Boat"_s));

        const QJsonObject json = info.toJson();
        QCOMPARE(json.value(u"projections"_s).toArray().size(), 2);
        QCOMPARE(json.value(u"reactions"_s).toArray().first().toObject().value(u"eventType"_s).toString(), u"Opened"_s);
    }

    void reactions()
    {
        const QString path = writePack(u"react.js"_s, uR"((function () {
  return {
    name: "react",
    aggregates: { Order: { commands: { Place: { decide() { return []; } } } } },
    reactions: {
      Ship: { on: "Placed", handle(event, ctx) {
        return [{ command: "Ship", stream: "shipment-" + event.data.id, data: { order: event.stream, by: ctx.actor, id: ctx.newId() } },
                { command: "Notify" }]; } },
      Nothing: { on: "Placed", handle() { return []; } },
      Broken: { on: "Placed", handle(event) {
        return [{ stream: "x" }]; } },
      Throws: { on: "Placed", handle(event) { return event.data.missing.field; } }
    },
    upcasters: { Placed: { 1: function (d) { return d; }, 2: function (d) { return d; } } }
  };
})();
)"_s);
        auto domain = loadOrFail(path);
        QVERIFY(domain);
        QCOMPARE(domain->info().reactions.size(), 4);
        QCOMPARE(domain->schemaVersion(u"Placed"_s), 3);
        QCOMPARE(domain->schemaVersion(u"Other"_s), 1);

        const RecordedEvent placed = recorded(u"Placed"_s, {{u"id"_s, u"42"_s}}, 1, 9, u"order-42"_s);
        auto issued = domain->react(u"Ship"_s, placed, context(u"order-42"_s, {u"id-1"_s}));
        QVERIFY2(issued, qPrintable(issued.error().message));
        QCOMPARE(issued->size(), 2);
        QCOMPARE(issued->at(0).command, u"Ship"_s);
        QCOMPARE(issued->at(0).stream, u"shipment-42"_s);
        QCOMPARE(issued->at(0).data,
                 (QJsonObject{{u"order"_s, u"order-42"_s}, {u"by"_s, u"alice"_s}, {u"id"_s, u"id-1"_s}}));
        QCOMPARE(issued->at(1).stream, u"order-42"_s); // defaults to the event's stream
        QCOMPARE(issued->at(1).data, QJsonObject());

        QVERIFY(domain->react(u"Nothing"_s, placed, context())->isEmpty());
        auto broken = domain->react(u"Broken"_s, placed, context());
        QVERIFY(!broken);
        QVERIFY2(broken.error().message.contains(u"reaction Broken returned a command without a name"_s),
                 qPrintable(broken.error().message));
        auto throws = domain->react(u"Throws"_s, placed, context());
        QVERIFY(!throws);
        QVERIFY2(throws.error().message.startsWith(u"react.js:12: TypeError"_s), qPrintable(throws.error().message));
        QVERIFY(throws.error().message.endsWith(u"(while reacting to Placed at position 9 with reaction Throws)"_s));
        QCOMPARE(domain->react(u"Nope"_s, placed, context()).error().code, ErrorCode::NotFound);
    }

    void fieldExtras()
    {
        const QString path = writePack(u"extras.js"_s, uR"(({ name: "x", aggregates: { User: { commands: { SignUp: {
  fields: { password: { type: "string", secret: true, minLength: 8 },
            email: { type: "string", examples: ["ada@example.org", "alan@example.org"] } },
  decide() { return []; } } } } } }))"_s);
        auto domain = loadOrFail(path);
        QVERIFY(domain);
        const CommandSpec *signUp = domain->info().command(u"SignUp"_s);
        QVERIFY(signUp);
        QVERIFY(signUp->fields[0].secret);
        QVERIFY(!signUp->fields[1].secret);
        QCOMPARE(signUp->fields[1].examples, (QJsonArray{u"ada@example.org"_s, u"alan@example.org"_s}));
        QCOMPARE(signUp->fields[0].toJson().value(u"secret"_s).toBool(), true);
        QVERIFY(!signUp->fields[1].toJson().contains(u"secret"_s));
        QCOMPARE(signUp->fields[1].toJson().value(u"examples"_s).toArray().size(), 2);
    }

    // Every pack shipped in resources/domains loads, and its aggregates fold their initial state.
    void shippedPacks_data()
    {
        QTest::addColumn<QString>("path");
        const QDir dir(sourcePath(u"resources/domains"_s));
        const QStringList packs = dir.entryList({u"*.js"_s}, QDir::Files, QDir::Name);
        QVERIFY(packs.contains(u"bank.js"_s));
        for (const QString &name : packs)
            QTest::newRow(qPrintable(name)) << dir.filePath(name);
    }
    void shippedPacks()
    {
        QFETCH(QString, path);
        auto loaded = JsDomain::load(path);
        QVERIFY2(loaded, qPrintable(loaded.error().message));
        const DomainInfo &info = loaded.value()->info();
        QVERIFY(!info.name.isEmpty());
        for (const AggregateSpec &a : info.aggregates) {
            auto initial = loaded.value()->initialState(a.name);
            QVERIFY(initial);
            QVERIFY(loaded.value()->fold(a.name, *initial, {}));
        }
    }

    // The contract says a pack runs unchanged in Node.js; check the sample does.
    void bankRunsInNode()
    {
        const QString node = QStandardPaths::findExecutable(u"node"_s);
        if (node.isEmpty())
            QSKIP("node is not installed");
        const QString script = uR"(
const bank = require(process.argv[1]);
const acc = bank.aggregates.Account;
const ctx = { now: "2024-05-01T12:00:00.000Z", nowMs: 0, actor: "t", commandId: "c", stream: "acc-1",
              newId: () => "id", reject: (reason, fields) => ({ rejected: true, reason, fields: fields || {} }) };
let state = acc.initialState;
const opened = acc.commands.OpenAccount.decide(state, { data: { owner: "Ada", currency: "EUR" } }, ctx);
state = acc.evolve.AccountOpened(state, opened[0]);
const refused = acc.commands.Withdraw.decide(state, { data: { amount: 5 } }, ctx);
console.log(bank.name + " " + opened[0].type + " " + refused.reason);
)"_s;
        QProcess p;
        p.start(node, {u"-e"_s, script, bankPack()});
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 0);
        QCOMPARE(QString::fromUtf8(p.readAllStandardOutput()).trimmed(),
                 u"bank AccountOpened insufficient funds: balance 0.00, requested 5.00"_s);
    }
};

QTEST_GUILESS_MAIN(TestJsDomain)
#include "tst_jsdomain.moc"
