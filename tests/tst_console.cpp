#include "common/elidedlabel.h"
#include "console/commandconsole.h"
#include "console/commandform.h"
#include "console/consolehistorymodel.h"
#include "console/fieldeditor.h"
#include "session.h"
#include "sessionsupport.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QComboBox>
#include <QCompleter>
#include <QDateTimeEdit>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStringListModel>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>

using namespace Qt::StringLiterals;
using namespace es;

namespace {

// A pack with one field of every declared type, to check the editors.
const char *const TypesPack = R"JS(
(function () {
    return {
        name: "types",
        version: "1.0.0",
        aggregates: {
            Thing: {
                streamTemplate: "thing-{n}",
                initialState: {},
                commands: {
                    Configure: {
                        fields: {
                            title: { type: "string", required: true, maxLength: 20, examples: ["Lamp"] },
                            pin: { type: "string", secret: true },
                            ratio: { type: "number", min: 0, max: 1 },
                            count: { type: "integer", required: true, min: 1, max: 10 },
                            enabled: { type: "boolean" },
                            mode: { type: "enum", values: ["fast", "safe"], required: true },
                            when: { type: "datetime" },
                            extra: { type: "object" },
                            tags: { type: "array" }
                        },
                        decide(state, command) { return [{ type: "Configured", data: command.data }]; }
                    }
                },
                evolve: { Configured(state, event) { return Object.assign({}, state, event.data); } }
            }
        }
    };
})();
)JS";

// A reaction that answers its own event: the pipeline stops the loop and says so.
const char *const LoopPack = R"JS(
(function () {
    return {
        name: "loop",
        version: "1.0.0",
        aggregates: {
            Pinger: {
                initialState: {},
                commands: {
                    Ping: { fields: {}, decide() { return [{ type: "Pinged", data: {} }]; } }
                },
                evolve: { Pinged(state) { return state; } }
            }
        },
        reactions: {
            Echo: { on: "Pinged", handle(event) { return [{ command: "Ping", stream: event.stream, data: {} }]; } }
        }
    };
})();
)JS";

} // namespace

class TestConsole : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    int m_stores = 0;

    std::unique_ptr<Session> open(const QString &pack = bankPack(), bool readOnly = false, QString path = {})
    {
        Session::Options o;
        o.storePath = path.isEmpty() ? m_dir.filePath(u"console-%1.db"_s.arg(++m_stores)) : path;
        o.packPath = pack;
        o.create = !readOnly;
        o.readOnly = readOnly;
        auto s = Session::open(o);
        if (!s)
            qWarning() << s.error().message;
        return s ? std::move(*s) : nullptr;
    }

    static CommandResult run(Session *s, const QString &type, const QString &stream, const QJsonObject &payload)
    {
        return runCommand(s, type, stream, payload);
    }

    static void openAccount(Session *s, const QString &stream, double deposit = 0)
    {
        QVERIFY(run(s, u"OpenAccount"_s, stream, {{u"owner"_s, u"Ada"_s}, {u"currency"_s, u"EUR"_s}}).accepted());
        if (deposit > 0)
            QVERIFY(run(s, u"Deposit"_s, stream, {{u"amount"_s, deposit}}).accepted());
    }

    template <typename T>
    static T *child(QWidget *w, const QString &name)
    {
        T *c = w->findChild<T *>(name);
        if (!c)
            qWarning() << "no child" << name;
        return c;
    }

    static void type(QWidget *w, const QString &name, const QString &text)
    {
        auto *e = child<QLineEdit>(w, name);
        QVERIFY(e);
        e->clear();
        QTest::keyClicks(e, text);
    }

    static QString outcome(QWidget *w) { return child<QLabel>(w, u"outcomeLabel"_s)->text(); }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void formHasAnEditorPerFieldType()
    {
        const QString pack = m_dir.filePath(u"types.js"_s);
        QFile f(pack);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(TypesPack);
        f.close();
        auto session = open(pack);
        QVERIFY(session);
        CommandConsole console;
        console.setSession(session.get());
        QVERIFY(console.disabledReason().isEmpty());
        QCOMPARE(child<QComboBox>(&console, u"commandCombo"_s)->currentText(), u"Configure"_s);

        auto *title = child<QLineEdit>(&console, u"field:title"_s);
        QVERIFY(title);
        QCOMPARE(title->echoMode(), QLineEdit::Normal);
        QCOMPARE(title->maxLength(), 20);
        QVERIFY(title->completer()); // the examples
        QCOMPARE(child<QLineEdit>(&console, u"field:pin"_s)->echoMode(), QLineEdit::Password);
        auto *ratio = child<QLineEdit>(&console, u"field:ratio"_s);
        QVERIFY(ratio && ratio->validator());
        auto *count = child<QSpinBox>(&console, u"field:count"_s);
        QVERIFY(count);
        QCOMPARE(count->minimum(), 1);
        QCOMPARE(count->maximum(), 10);
        QVERIFY(child<QCheckBox>(&console, u"field:enabled"_s));
        auto *mode = child<QComboBox>(&console, u"field:mode"_s);
        QVERIFY(mode);
        QCOMPARE(mode->count(), 2); // required: no "(not set)"
        auto *when = child<QDateTimeEdit>(&console, u"field:when"_s);
        QVERIFY(when);
        QCOMPARE(when->timeSpec(), Qt::UTC);
        QVERIFY(child<QPlainTextEdit>(&console, u"field:extra"_s));
        QVERIFY(child<QPlainTextEdit>(&console, u"field:tags"_s));
        // Required fields are marked on their labels.
        QVERIFY(child<QLabel>(&console, u"label:title"_s)->text().contains(u'*'));
        QVERIFY(!child<QLabel>(&console, u"label:ratio"_s)->text().contains(u'*'));

        // Unset optional fields stay out of the payload; set ones have JSON types.
        QCOMPARE(console.currentPayload(), (QJsonObject{{u"count"_s, 1}, {u"mode"_s, u"fast"_s}}));
        QTest::keyClicks(title, u"Lamp"_s);
        QTest::keyClicks(ratio, u"0.25"_s);
        count->setValue(3);
        child<QCheckBox>(&console, u"field:enabled"_s)->setChecked(true);
        mode->setCurrentIndex(1);
        when->setDateTime(QDateTime(QDate(2024, 5, 1), QTime(12, 30), Qt::UTC));
        child<QPlainTextEdit>(&console, u"field:extra"_s)->setPlainText(u"{\"a\": 1}"_s);
        child<QPlainTextEdit>(&console, u"field:tags"_s)->setPlainText(u"[\"x\"]"_s);
        const QJsonObject p = console.currentPayload();
        QCOMPARE(p.value(u"title"_s).toString(), u"Lamp"_s);
        QCOMPARE(p.value(u"ratio"_s).toDouble(), 0.25);
        QCOMPARE(p.value(u"count"_s).toInt(), 3);
        QCOMPARE(p.value(u"enabled"_s).toBool(), true);
        QCOMPARE(p.value(u"mode"_s).toString(), u"safe"_s);
        QCOMPARE(p.value(u"when"_s).toString(), u"2024-05-01T12:30:00.000Z"_s);
        QCOMPARE(p.value(u"extra"_s).toObject(), (QJsonObject{{u"a"_s, 1}}));
        QCOMPARE(p.value(u"tags"_s).toArray(), QJsonArray{u"x"_s});

        // Malformed JSON in an object field: the message says where.
        child<QPlainTextEdit>(&console, u"field:extra"_s)->setPlainText(u"{\"a\": }"_s);
        QVERIFY(child<QLabel>(&console, u"error:extra"_s)->text().contains(u"column"_s));

        // The payload round-trips through the form.
        console.form()->setPayload(p);
        QCOMPARE(console.currentPayload(), p);
    }

    void invalidAmountIsNotSent()
    {
        auto session = open();
        openAccount(session.get(), u"account-1"_s);
        CommandConsole console;
        console.setSession(session.get());
        QVERIFY(console.selectCommand(u"Deposit"_s));
        type(&console, u"streamEdit"_s, u"account-1"_s);
        type(&console, u"field:amount"_s, u"0"_s);
        // Inline, as typed.
        QCOMPARE(child<QLabel>(&console, u"error:amount"_s)->text(), u"must be at least 0.01"_s);
        const qint64 head = session->store()->headPosition();
        auto commandsBefore = session->store()->commands();
        QSignalSpy executed(session.get(), &Session::commandExecuted);
        QTest::mouseClick(child<QPushButton>(&console, u"sendButton"_s), Qt::LeftButton);
        QCOMPARE(executed.count(), 0);
        QCOMPARE(session->store()->headPosition(), head);
        QCOMPARE(session->store()->commands()->size(), commandsBefore->size()); // not even logged
        QVERIFY(outcome(&console).contains(u"Not sent"_s));
        QVERIFY(!child<QLineEdit>(&console, u"field:amount"_s)->property("fieldError").toString().isEmpty());

        // A required field left empty says so only once the user tries to send.
        type(&console, u"field:amount"_s, QString());
        child<QLineEdit>(&console, u"field:amount"_s)->clear();
        QVERIFY(!console.send());
        QCOMPARE(child<QLabel>(&console, u"error:amount"_s)->text(), u"required"_s);

        // An empty stream is caught too.
        type(&console, u"field:amount"_s, u"5"_s);
        child<QLineEdit>(&console, u"streamEdit"_s)->clear();
        QVERIFY(!console.send());
        QVERIFY(child<QLabel>(&console, u"streamError"_s)->isVisibleTo(&console));
        QCOMPARE(session->store()->headPosition(), head);
    }

    void acceptedShowsEvents()
    {
        auto session = open();
        openAccount(session.get(), u"account-1"_s);
        CommandConsole console;
        console.setSession(session.get());
        QSignalSpy reveal(&console, &CommandConsole::revealEventRequested);
        QVERIFY(console.selectCommand(u"Account.Deposit"_s));
        type(&console, u"streamEdit"_s, u"account-1"_s);
        type(&console, u"field:amount"_s, u"12.5"_s);
        QVERIFY(console.send());
        QVERIFY(console.lastResult().accepted());
        QVERIFY2(outcome(&console).contains(u"Accepted"_s), qPrintable(outcome(&console)));
        auto *events = child<QListWidget>(&console, u"outcomeEvents"_s);
        QCOMPARE(events->count(), 1);
        QVERIFY(events->item(0)->text().contains(u"MoneyDeposited"_s));
        QCOMPARE(session->store()->headPosition(), 2);
        // The actor goes into the metadata.
        QVERIFY(!console.lastResult().events.first().metadataObject().value(u"actor"_s).toString().isEmpty());

        // Clicking an event asks to reveal it.
        const QRect r = events->visualItemRect(events->item(0));
        QTest::mouseClick(events->viewport(), Qt::LeftButton, {}, r.center());
        QCOMPARE(reveal.count(), 1);
        QCOMPARE(reveal.at(0).at(0).toLongLong(), 2);

        // The history keeps it.
        QCOMPARE(console.historyModel()->rowCount(), 1);
        QCOMPARE(console.historyModel()->rowAt(0).command.payload.value(u"amount"_s).toDouble(), 12.5);
    }

    void overdraftHighlightsAmount()
    {
        auto session = open();
        openAccount(session.get(), u"account-1"_s, 10);
        CommandConsole console;
        console.setSession(session.get());
        QVERIFY(console.selectCommand(u"Withdraw"_s));
        type(&console, u"streamEdit"_s, u"account-1"_s);
        type(&console, u"field:amount"_s, u"50"_s);
        QVERIFY(console.send());
        QCOMPARE(console.lastResult().record.outcome, CommandOutcome::Rejected);
        QVERIFY(outcome(&console).contains(u"insufficient funds"_s));
        QVERIFY(outcome(&console).contains(u"Rejected"_s));
        auto *error = child<QLabel>(&console, u"error:amount"_s);
        QVERIFY(error->isVisibleTo(&console));
        QVERIFY2(error->text().contains(u"exceeds the balance"_s), qPrintable(error->text()));
        QVERIFY(child<QLineEdit>(&console, u"field:amount"_s)->property("fieldError").toString().contains(
            u"exceeds"_s));
        QCOMPARE(session->store()->headPosition(), 2);
        // Editing the field re-validates it: the domain's reason goes.
        type(&console, u"field:amount"_s, u"5"_s);
        QVERIFY(error->text().isEmpty());
    }

    void conflictIsExplained()
    {
        auto session = open();
        openAccount(session.get(), u"account-1"_s, 10); // version 2
        CommandConsole console;
        console.setSession(session.get());
        QVERIFY(console.selectCommand(u"Deposit"_s));
        type(&console, u"streamEdit"_s, u"account-1"_s);
        type(&console, u"field:amount"_s, u"1"_s);
        auto *check = child<QCheckBox>(&console, u"expectedCheck"_s);
        check->setChecked(true);
        auto *spin = child<QSpinBox>(&console, u"expectedSpin"_s);
        QCOMPARE(spin->value(), 2); // starts from the stream's version
        spin->setValue(1);
        QVERIFY(console.send());
        QCOMPARE(console.lastResult().record.outcome, CommandOutcome::Conflict);
        const QString text = outcome(&console);
        QVERIFY2(text.contains(u"expected version 1, actual 2"_s), qPrintable(text));
        QVERIFY(text.contains(u"appended since"_s));
        QVERIFY(text.contains(u"Nothing was written"_s));
        QCOMPARE(session->store()->headPosition(), 2);

        // Expecting a new stream where one exists.
        spin->setValue(0);
        QVERIFY(console.send());
        QVERIFY(outcome(&console).contains(u"to be a new stream"_s));
        // The right expectation goes through.
        spin->setValue(2);
        QVERIFY(console.send());
        QVERIFY(console.lastResult().accepted());
    }

    void ctrlEnterSends()
    {
        auto session = open();
        openAccount(session.get(), u"account-1"_s);
        CommandConsole console;
        console.setSession(session.get());
        console.show();
        QVERIFY(QTest::qWaitForWindowActive(&console));
        QVERIFY(console.selectCommand(u"Deposit"_s));
        type(&console, u"streamEdit"_s, u"account-1"_s);
        auto *amount = child<QLineEdit>(&console, u"field:amount"_s);
        amount->setFocus();
        QTest::keyClicks(amount, u"3"_s);
        QSignalSpy executed(session.get(), &Session::commandExecuted);
        QTest::keyClick(amount, Qt::Key_Return, Qt::ControlModifier);
        QCOMPARE(executed.count(), 1);
        QVERIFY(console.lastResult().accepted());
        // Also from the JSON editor.
        console.setRawMode(true);
        QTest::keyClick(child<QPlainTextEdit>(&console, u"rawEdit"_s), Qt::Key_Enter, Qt::ControlModifier);
        QCOMPARE(executed.count(), 2);
    }

    void rawJsonMode()
    {
        auto session = open();
        openAccount(session.get(), u"account-1"_s);
        CommandConsole console;
        console.setSession(session.get());
        QVERIFY(console.selectCommand(u"Deposit"_s));
        type(&console, u"streamEdit"_s, u"account-1"_s);
        type(&console, u"field:amount"_s, u"7"_s);
        QTest::mouseClick(child<QToolButton>(&console, u"rawToggle"_s), Qt::LeftButton);
        QVERIFY(console.isRawMode());
        auto *raw = child<QPlainTextEdit>(&console, u"rawEdit"_s);
        // The form's payload carries over.
        QCOMPARE(QJsonDocument::fromJson(raw->toPlainText().toUtf8()).object(), (QJsonObject{{u"amount"_s, 7}}));

        // Malformed: the parse error with its column, and nothing sent.
        raw->setPlainText(u"{\"amount\": 7,}"_s);
        auto *error = child<QLabel>(&console, u"rawError"_s);
        QVERIFY2(error->text().contains(u"line 1, column"_s), qPrintable(error->text()));
        const qint64 head = session->store()->headPosition();
        QVERIFY(!console.send());
        QVERIFY(outcome(&console).contains(u"malformed"_s));
        QCOMPARE(session->store()->headPosition(), head);
        // Going back to the form is refused while the JSON is broken.
        console.setRawMode(false);
        QVERIFY(console.isRawMode());

        // Valid JSON that does not fit the fields: listed, not sent.
        raw->setPlainText(u"{\"amount\": -1, \"note\": \"x\"}"_s);
        QVERIFY(error->text().contains(u"amount: must be at least 0.01"_s));
        QVERIFY(error->text().contains(u"note: unknown field"_s));
        QVERIFY(!console.send());

        raw->setPlainText(u"{\"amount\": 2.5}"_s);
        QVERIFY(error->text().isEmpty());
        QVERIFY(console.send());
        QVERIFY(console.lastResult().accepted());

        // Back to the form with the JSON's values.
        console.setRawMode(false);
        QVERIFY(!console.isRawMode());
        QCOMPARE(child<QLineEdit>(&console, u"field:amount"_s)->text(), u"2.5"_s);
    }

    void transferShowsReactions()
    {
        auto session = open();
        openAccount(session.get(), u"account-a"_s, 100);
        openAccount(session.get(), u"account-b"_s);
        CommandConsole console;
        console.setSession(session.get());
        QVERIFY(console.selectCommand(u"SendTransfer"_s));
        type(&console, u"streamEdit"_s, u"account-a"_s);
        type(&console, u"field:to"_s, u"account-b"_s);
        type(&console, u"field:amount"_s, u"30"_s);
        QVERIFY(console.send());
        const CommandResult &r = console.lastResult();
        QVERIFY(r.accepted());
        QCOMPARE(r.reactions.size(), 1);
        QVERIFY(outcome(&console).contains(u"Reactions ran 1 command"_s));
        auto *events = child<QListWidget>(&console, u"outcomeEvents"_s);
        QStringList lines;
        for (int i = 0; i < events->count(); ++i)
            lines << events->item(i)->text();
        QCOMPARE(lines.size(), 3); // TransferSent, the reaction, TransferReceived
        QVERIFY(lines.at(0).contains(u"TransferSent"_s));
        QVERIFY(lines.at(1).contains(u"ReceiveTransfer"_s) && lines.at(1).contains(u"accepted"_s));
        QVERIFY(lines.at(2).contains(u"TransferReceived"_s));
    }

    void reactionLoopIsReported()
    {
        const QString pack = m_dir.filePath(u"loop.js"_s);
        QFile f(pack);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(LoopPack);
        f.close();
        auto session = open(pack);
        QVERIFY(session);
        CommandConsole console;
        console.setSession(session.get());
        QVERIFY(console.findChild<QLabel *>(u"noFieldsLabel"_s)->isVisibleTo(&console));
        type(&console, u"streamEdit"_s, u"pinger-1"_s);
        QVERIFY(console.send());
        QVERIFY(!console.lastResult().reactionError.isEmpty());
        QVERIFY2(outcome(&console).contains(u"Reactions stopped"_s), qPrintable(outcome(&console)));
        QVERIFY(outcome(&console).contains(u"loop"_s));
    }

    void historyLoadsAndReruns()
    {
        auto session = open();
        openAccount(session.get(), u"account-1"_s);
        CommandConsole console;
        console.setSession(session.get());
        QAbstractItemModelTester tester(console.historyModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(console.selectCommand(u"Deposit"_s));
        type(&console, u"streamEdit"_s, u"account-1"_s);
        type(&console, u"field:amount"_s, u"4"_s);
        QVERIFY(console.send());
        QVERIFY(console.selectCommand(u"Withdraw"_s));
        type(&console, u"field:amount"_s, u"1"_s);
        QVERIFY(console.send());
        QCOMPARE(console.historyModel()->rowCount(), 2);

        // Double-click the first: the Deposit comes back into the form.
        auto *view = child<QTableView>(&console, u"historyTable"_s);
        console.show();
        QVERIFY(QTest::qWaitForWindowExposed(&console));
        console.resize(500, 900);
        view->scrollTo(console.historyModel()->index(0, 1));
        const QRect rect = view->visualRect(console.historyModel()->index(0, 1));
        QVERIFY2(view->viewport()->rect().contains(rect.center()), qPrintable(u"%1 %2"_s.arg(rect.y()).arg(view->viewport()->height())));
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, rect.center());
        QTest::mouseDClick(view->viewport(), Qt::LeftButton, {}, rect.center());
        QCOMPARE(child<QComboBox>(&console, u"commandCombo"_s)->currentText(), u"Deposit"_s);
        QCOMPARE(child<QLineEdit>(&console, u"field:amount"_s)->text(), u"4"_s);

        // Run again: a new command, the same payload.
        const qint64 head = session->store()->headPosition();
        console.loadHistory(0, true);
        QCOMPARE(session->store()->headPosition(), head + 1);
        QCOMPARE(console.historyModel()->rowCount(), 3);
        QVERIFY(console.lastResult().accepted());
        QVERIFY(!console.lastResult().repeated);
    }

    void streamCompletionAndNewId()
    {
        auto session = open();
        openAccount(session.get(), u"account-1"_s);
        openAccount(session.get(), u"account-2"_s);
        CommandConsole console;
        console.setSession(session.get());
        auto *stream = child<QLineEdit>(&console, u"streamEdit"_s);
        auto *names = qobject_cast<QStringListModel *>(stream->completer()->model());
        QVERIFY(names);
        QCOMPARE(names->stringList(), (QStringList{u"account-1"_s, u"account-2"_s}));
        // New streams join the completion as they appear.
        openAccount(session.get(), u"account-7"_s);
        QVERIFY(names->stringList().contains(u"account-7"_s));

        QTest::mouseClick(child<QToolButton>(&console, u"newIdButton"_s), Qt::LeftButton);
        const QString id = stream->text();
        QVERIFY2(id.startsWith(u"account-"_s), qPrintable(id));
        QVERIFY(!session->store()->streamInfo(id));
        QTest::mouseClick(child<QToolButton>(&console, u"newIdButton"_s), Qt::LeftButton);
        QVERIFY(stream->text() != id);
        QVERIFY(child<es::ElidedLabel>(&console, u"streamInfoLabel"_s)->text().contains(u"new stream"_s));
        stream->setText(u"account-1"_s);
        QVERIFY(child<es::ElidedLabel>(&console, u"streamInfoLabel"_s)->text().contains(u"version 1"_s));
    }

    void disabledStates()
    {
        CommandConsole console;
        QVERIFY(console.disabledReason().contains(u"No store"_s));
        QVERIFY(!console.send());

        // No pack: browsing works, commands need one.
        Session::Options o;
        o.storePath = u":memory:"_s;
        o.create = true;
        auto bare = Session::open(o);
        QVERIFY(bare);
        console.setSession(bare->get());
        QVERIFY(console.disabledReason().contains(u"No domain pack"_s));
        QVERIFY(child<QLabel>(&console, u"consoleStatus"_s)->text().contains(u"No domain pack"_s));
        // ...until one is loaded.
        QVERIFY((*bare)->loadPack(bankPack()));
        QVERIFY(console.disabledReason().isEmpty());
        QCOMPARE(child<QComboBox>(&console, u"commandCombo"_s)->currentText(), u"OpenAccount"_s);

        // Read-only.
        const QString path = m_dir.filePath(u"ro.db"_s);
        {
            auto rw = open(bankPack(), false, path);
            openAccount(rw.get(), u"account-1"_s);
        }
        auto ro = open(bankPack(), true, path);
        QVERIFY(ro);
        console.setSession(ro.get());
        QVERIFY(console.disabledReason().contains(u"read-only"_s));
        QVERIFY(!console.findChild<QPushButton *>(u"sendButton"_s)->isEnabled());
        QVERIFY(!console.send());
        console.setSession(nullptr);
    }
};

QTEST_MAIN(TestConsole)
#include "tst_console.moc"
