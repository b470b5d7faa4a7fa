#include "commandlog/commandlogmodel.h"
#include "commandlog/commandlogview.h"
#include "commandlog/stagebar.h"
#include "common/jsontreewidget.h"
#include "common/outcomestyle.h"
#include "session.h"
#include "sessionsupport.h"

#include <QAbstractItemModelTester>
#include <QBrush>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace es;

class TestCommandLog : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    static std::unique_ptr<Session> open(const QString &path) { return openTestSession(path); }

    static CommandResult run(Session *s, const QString &type, const QString &stream, const QJsonObject &payload,
                             std::optional<qint64> expected = {})
    {
        Command c;
        c.type = type;
        c.stream = stream;
        c.payload = payload;
        c.expectedVersion = expected;
        c.metadata.insert(meta::Actor, u"tester"_s);
        return s->execute(c);
    }

    // accepted, accepted, rejected (overdraft), rejected (validation), conflict.
    static void fill(Session *s)
    {
        QVERIFY(run(s, u"OpenAccount"_s, u"account-1"_s, {{u"owner"_s, u"Ann"_s}, {u"currency"_s, u"EUR"_s}})
                    .accepted());
        QVERIFY(run(s, u"Deposit"_s, u"account-1"_s, {{u"amount"_s, 10}}).accepted());
        QCOMPARE(run(s, u"Withdraw"_s, u"account-1"_s, {{u"amount"_s, 50}}).record.outcome, CommandOutcome::Rejected);
        QCOMPARE(run(s, u"Deposit"_s, u"account-1"_s, {{u"amount"_s, 0}}).record.outcome, CommandOutcome::Rejected);
        QCOMPARE(run(s, u"Deposit"_s, u"account-1"_s, {{u"amount"_s, 1}}, 1).record.outcome, CommandOutcome::Conflict);
    }

    static QStringList column(QAbstractItemModel *m, int col)
    {
        QStringList out;
        for (int r = 0; r < m->rowCount(); ++r)
            out << m->index(r, col).data().toString();
        return out;
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void listsOutcomes()
    {
        auto session = open(u":memory:"_s);
        fill(session.get());
        CommandLogView view;
        QAbstractItemModelTester tester(view.logModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        view.setSession(session.get());
        CommandLogModel *m = view.logModel();
        QCOMPARE(column(m, CommandLogModel::OutcomeColumn),
                 (QStringList{u"accepted"_s, u"accepted"_s, u"rejected"_s, u"rejected"_s, u"conflict"_s}));
        QCOMPARE(column(m, CommandLogModel::CommandColumn),
                 (QStringList{u"OpenAccount"_s, u"Deposit"_s, u"Withdraw"_s, u"Deposit"_s, u"Deposit"_s}));
        QCOMPARE(m->index(0, CommandLogModel::ActorColumn).data().toString(), u"tester"_s);
        QCOMPARE(m->index(0, CommandLogModel::StreamColumn).data().toString(), u"account-1"_s);
        QVERIFY(m->index(2, CommandLogModel::ReasonColumn).data().toString().contains(u"insufficient funds"_s));
        QVERIFY(m->index(3, CommandLogModel::ReasonColumn).data().toString().contains(u"amount"_s));
        QVERIFY(m->index(4, CommandLogModel::ReasonColumn).data(Qt::ToolTipRole).toString().contains(
            u"expected version 1, actual 2"_s));
        QCOMPARE(m->index(1, CommandLogModel::EventsColumn).data().toString(), u"#2"_s);
        QCOMPARE(m->index(2, CommandLogModel::EventsColumn).data().toString(), QString());
        // Coloured by outcome.
        for (int r = 0; r < m->rowCount(); ++r) {
            const auto outcome = CommandOutcome(m->index(r, 0).data(CommandLogModel::OutcomeRole).toInt());
            QCOMPARE(m->index(r, CommandLogModel::OutcomeColumn).data(Qt::ForegroundRole).value<QBrush>().color(),
                     outcomestyle::foreground(outcome));
        }
        // Stage timings for the bar: five stages, a common scale.
        const QVariantList timings = m->index(1, CommandLogModel::StagesColumn).data(CommandLogModel::TimingsRole).toList();
        QCOMPARE(timings.size(), 5);
        QVERIFY(timings.at(0).toLongLong() > 0); // validate
        QVERIFY(m->index(1, CommandLogModel::StagesColumn).data(CommandLogModel::ScaleRole).toLongLong() > 0);
        QVERIFY(m->index(1, CommandLogModel::StagesColumn).data(Qt::ToolTipRole).toString().contains(u"decide"_s));
        QVERIFY(view.findChild<QLabel *>(u"logCount"_s)->text().contains(u"5 commands"_s));
    }

    void followsCommandsLive()
    {
        auto session = open(u":memory:"_s);
        fill(session.get());
        CommandLogView view;
        view.setSession(session.get());
        CommandLogModel *m = view.logModel();
        QAbstractItemModelTester tester(m, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy reset(m, &QAbstractItemModel::modelReset);
        QSignalSpy inserted(m, &QAbstractItemModel::rowsInserted);

        // Accepted: the row has the full timings (append and publish come after the log row is written).
        const CommandResult deposit = run(session.get(), u"Deposit"_s, u"account-1"_s, {{u"amount"_s, 2}});
        QVERIFY(deposit.accepted());
        QCOMPARE(m->rowCount(), 6);
        const CommandLogRow &row = m->rowAt(m->rowOf(deposit.record.commandId));
        QVERIFY(row.record.timings.appendUs > 0);
        QCOMPARE(row.record.timings.publishUs, deposit.record.timings.publishUs);

        // Rejected: no event, still listed.
        QCOMPARE(run(session.get(), u"CloseAccount"_s, u"account-1"_s, {}).record.outcome, CommandOutcome::Rejected);
        QCOMPARE(m->rowCount(), 7);

        // A transfer and the reaction it caused.
        QVERIFY(run(session.get(), u"OpenAccount"_s, u"account-2"_s, {{u"owner"_s, u"Bob"_s}, {u"currency"_s, u"EUR"_s}})
                    .accepted());
        QVERIFY(run(session.get(), u"SendTransfer"_s, u"account-1"_s, {{u"to"_s, u"account-2"_s}, {u"amount"_s, 3}})
                    .accepted());
        QCOMPARE(m->rowCount(), 10);
        QCOMPARE(m->index(9, CommandLogModel::CommandColumn).data().toString(), u"ReceiveTransfer"_s);
        QVERIFY(m->index(9, CommandLogModel::ActorColumn).data(Qt::ToolTipRole).toString().contains(u"CreditTransfer"_s));

        // Failed before logging (unknown command): shown, marked as not in the log.
        QCOMPARE(run(session.get(), u"Nope"_s, u"account-1"_s, {}).record.outcome, CommandOutcome::Failed);
        QCOMPARE(m->rowCount(), 11);
        QVERIFY(!m->rowAt(10).logged);

        QCOMPARE(reset.count(), 0);
        QCOMPARE(inserted.count(), 6); // the transfer's two commands arrive one after the other
        // Nothing twice.
        QSet<QString> ids;
        for (const CommandLogRow &r : m->rows())
            ids.insert(r.record.commandId);
        QCOMPARE(ids.size(), m->rowCount());
    }

    void followsAnotherWriter()
    {
        const QString path = m_dir.filePath(u"shared.db"_s);
        auto mine = open(path);
        auto theirs = open(path);
        QVERIFY(mine && theirs);
        fill(mine.get());
        CommandLogView view;
        view.setSession(mine.get());
        view.show(); // the log polls for rejections while visible
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QSignalSpy reset(view.logModel(), &QAbstractItemModel::modelReset);
        // An accepted command arrives with its events...
        QVERIFY(run(theirs.get(), u"Deposit"_s, u"account-1"_s, {{u"amount"_s, 1}}).accepted());
        QTRY_COMPARE_WITH_TIMEOUT(view.logModel()->rowCount(), 6, 5000);
        // ...a rejection writes no event: the poll finds it.
        QCOMPARE(run(theirs.get(), u"Withdraw"_s, u"account-1"_s, {{u"amount"_s, 1000}}).record.outcome,
                 CommandOutcome::Rejected);
        QTRY_COMPARE_WITH_TIMEOUT(view.logModel()->rowCount(), 7, 5000);
        QCOMPARE(view.logModel()->rowAt(6).record.outcome, CommandOutcome::Rejected);
        QCOMPARE(reset.count(), 0);
    }

    void pagesThroughALongLog()
    {
        auto session = open(u":memory:"_s);
        QVERIFY(run(session.get(), u"OpenAccount"_s, u"account-1"_s, {{u"owner"_s, u"Ann"_s}, {u"currency"_s, u"EUR"_s}})
                    .accepted());
        for (int i = 0; i < 24; ++i)
            QVERIFY(run(session.get(), u"Deposit"_s, u"account-1"_s, {{u"amount"_s, 1}}).accepted());
        // No QAbstractItemModelTester here: it calls fetchMore itself, which would load every page.
        CommandLogModel model;
        model.setPageSize(10);
        model.setStore(session->store());
        // Opened at the newest end, with the whole log counted.
        QCOMPARE(model.rowCount(), 10);
        QCOMPARE(model.totalCount(), 25);
        QCOMPARE(model.rowAt(0).record.firstPosition, qint64(16));
        QCOMPARE(model.rowAt(9).record.firstPosition, qint64(25));
        QVERIFY(model.hasOlder());
        QVERIFY(!model.canFetchMore({}));
        connect(session.get(), &Session::commandExecuted, &model,
                [&model](const CommandResult &r) { model.applyResult(r.record); });
        QVERIFY(run(session.get(), u"Deposit"_s, u"account-1"_s, {{u"amount"_s, 1}}).accepted());
        QCOMPARE(model.rowCount(), 11);
        QCOMPARE(model.totalCount(), 26);
        model.fetchOlder();
        QCOMPARE(model.rowCount(), 21);
        QCOMPARE(model.rowAt(0).record.firstPosition, qint64(6));
        model.fetchOlder();
        QCOMPARE(model.rowCount(), 26);
        QCOMPARE(model.rowAt(0).record.type, u"OpenAccount"_s);
        QVERIFY(!model.hasOlder());
        for (int r = 1; r < model.rowCount(); ++r)
            QCOMPARE(model.rowAt(r).record.firstPosition, model.rowAt(r - 1).record.firstPosition + 1);
        QVERIFY(run(session.get(), u"Deposit"_s, u"account-1"_s, {{u"amount"_s, 1}}).accepted());
        QCOMPARE(model.rowCount(), 27);
        QCOMPARE(model.totalCount(), 27);
    }

    // A pack may mark an event as a failure (a wrong password is accepted and
    // records LoginFailed): the log shows such a command as a failure, not as
    // accepted, whether the row is read from the store or comes from a result.
    void markedEventsShowAsFailures()
    {
        auto session = openTestSession(u":memory:"_s, sourcePath(u"resources/domains/identity.js"_s));
        QVERIFY(session);
        QVERIFY(run(session.get(), u"Register"_s, u"user-ann"_s,
                    {{u"email"_s, u"ann@example.com"_s}, {u"password"_s, u"correct horse battery"_s}})
                    .accepted());
        QVERIFY(run(session.get(), u"Login"_s, u"user-ann"_s, {{u"password"_s, u"wrong password!"_s}}).accepted());
        const QHash<QString, QString> outcomes{{u"LoginFailed"_s, u"failure"_s}, {u"AccountLocked"_s, u"warning"_s}};
        CommandLogModel model;
        model.setEventOutcomes(outcomes);
        model.setStore(session->store());
        QCOMPARE(model.rowCount(), 2);
        const QModelIndex registered = model.index(0, CommandLogModel::OutcomeColumn);
        const QModelIndex failed = model.index(1, CommandLogModel::OutcomeColumn);
        QCOMPARE(registered.data().toString(), u"accepted"_s);
        QCOMPARE(failed.data().toString(), u"failure"_s);
        QVERIFY2(failed.data(Qt::ToolTipRole).toString().contains(u"LoginFailed"_s),
                 qPrintable(failed.data(Qt::ToolTipRole).toString()));
        QCOMPARE(failed.data(Qt::ForegroundRole).value<QBrush>().color(),
                 outcomestyle::foreground(outcomestyle::EventMark::Failure));
        // A live result is marked too, and a third failure in a row locks the account (a warning beside it).
        connect(session.get(), &Session::commandExecuted, &model,
                [&model](const CommandResult &r) { model.applyResult(r.record); });
        QVERIFY(run(session.get(), u"Login"_s, u"user-ann"_s, {{u"password"_s, u"wrong again!"_s}}).accepted());
        QCOMPARE(model.index(2, CommandLogModel::OutcomeColumn).data().toString(), u"failure"_s);
        // Without the pack's word, the same rows are plain acceptances.
        model.setEventOutcomes({});
        QCOMPARE(model.index(1, CommandLogModel::OutcomeColumn).data().toString(), u"accepted"_s);
        QCOMPARE(outcomestyle::worstMark(outcomes, {u"LoginFailed"_s, u"AccountLocked"_s}),
                 outcomestyle::EventMark::Failure);
        QCOMPARE(outcomestyle::worstMark(outcomes, {u"LoginSucceeded"_s}), outcomestyle::EventMark::None);
    }

    void filtersAndActivation()
    {
        auto session = open(u":memory:"_s);
        fill(session.get());
        CommandLogView view;
        view.setSession(session.get());
        QSortFilterProxyModel *proxy = view.proxy();
        QAbstractItemModelTester tester(proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        auto *outcome = view.findChild<QComboBox *>(u"outcomeFilter"_s);
        outcome->setCurrentIndex(outcome->findData(int(CommandOutcome::Rejected)));
        QCOMPARE(column(proxy, CommandLogModel::OutcomeColumn), (QStringList{u"rejected"_s, u"rejected"_s}));
        view.findChild<QLineEdit *>(u"logFilter"_s)->setText(u"Withdraw"_s);
        QCOMPARE(proxy->rowCount(), 1);
        QVERIFY(view.findChild<QLabel *>(u"logCount"_s)->text().contains(u"1 shown of 5 commands"_s));
        outcome->setCurrentIndex(0);
        view.findChild<QLineEdit *>(u"logFilter"_s)->clear();
        QCOMPARE(proxy->rowCount(), 5);

        // Activating a command that wrote events asks for its first event; selecting shows its record.
        QSignalSpy reveal(&view, &CommandLogView::revealEventRequested);
        auto *table = view.findChild<QTableView *>(u"commandTable"_s);
        table->setCurrentIndex(proxy->index(1, 0));
        Q_EMIT table->activated(proxy->index(1, 0));
        QCOMPARE(reveal.count(), 1);
        QCOMPARE(reveal.at(0).at(0).toLongLong(), 2);
        auto *details = view.findChild<JsonTreeWidget *>(u"commandDetails"_s);
        QCOMPARE(details->jsonModel()->valueOf(details->jsonModel()->indexOfPath(u"payload.amount"_s)).toInt(), 10);
        QVERIFY(view.findChild<QLabel *>(u"commandDetailsTitle"_s)->text().contains(u"Deposit"_s));
        // A rejection has nothing to reveal.
        Q_EMIT table->activated(proxy->index(2, 0));
        QCOMPARE(reveal.count(), 1);
    }

    void stageBarGeometry()
    {
        const StageBar::Micros us{100, 300, 0, 500, 100};
        QCOMPARE(StageBar::total(us), 1000);
        const QRectF area(10, 2, 200, 8);
        // The largest command fills the cell; its segments split it by share, skipping empty stages.
        const QList<StageBar::Segment> full = StageBar::layout(us, area, 1000);
        QCOMPARE(full.size(), 4);
        QCOMPARE(full.at(0).stage, 0);
        QCOMPARE(full.at(0).rect.left(), 10.0);
        QCOMPARE(full.at(0).rect.width(), 20.0);
        QCOMPARE(full.at(1).rect.width(), 60.0);
        QCOMPARE(full.at(2).stage, 3);
        QCOMPARE(full.at(2).rect.left(), 90.0);
        QCOMPARE(full.at(3).rect.right(), 210.0);
        // A faster one is shorter, on a log scale (not crushed by the slowest).
        const double f = StageBar::fraction(1000, 1000000);
        QVERIFY(f > 0.45 && f < 0.55);
        const QList<StageBar::Segment> half = StageBar::layout(us, area, 1000000);
        QCOMPARE(half.constLast().rect.right(), 10.0 + 200.0 * f);
        QVERIFY(StageBar::layout(StageBar::Micros{}, area, 1000).isEmpty());
        QCOMPARE(StageBar::formatMicros(950), u"950 µs"_s);
        QCOMPARE(StageBar::formatMicros(2500), u"2.50 ms"_s);
        QCOMPARE(StageBar::formatMicros(3200000), u"3.20 s"_s);
    }
};

QTEST_MAIN(TestCommandLog)
#include "tst_commandlog.moc"
