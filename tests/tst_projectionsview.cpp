// The projections dashboard over a real Session: the runner in its worker
// thread, statuses, pause/lag/resume, a poison event skipped with an audit
// record, a rebuild with its diff and swap, search hits and page previews.
#include "projectionhost.h"
#include "projections/projectionstatusmodel.h"
#include "projections/projectionsview.h"
#include "projections/readmodelmodel.h"
#include "projections/rowdiffmodel.h"
#include "projections/searchhitsmodel.h"
#include "projections/throughputchart.h"
#include "readstore.h"
#include "session.h"
#include "sessionsupport.h"
#include "workload.h"

#include <QAbstractItemModelTester>
#include <QDialog>
#include <QFile>
#include <QGroupBox>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>
#include <QToolButton>

using namespace Qt::StringLiterals;
using namespace es;

namespace {

QString readFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(f.readAll());
}

bool writeFile(const QString &path, const QString &text)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(text.toUtf8()) > 0;
}

} // namespace

class TestProjectionsView : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    int m_count = 0;

    QString freshPath(const QString &stem) { return m_dir.filePath(u"%1-%2.db"_s.arg(stem).arg(++m_count)); }

    static std::unique_ptr<Session> open(const QString &path, const QString &pack, bool readOnly = false)
    {
        return openTestSession(path, pack, readOnly);
    }

    static bool run(Session *s, const QString &type, const QString &stream, const QJsonObject &payload)
    {
        const CommandResult r = runCommand(s, type, stream, payload);
        if (!r.accepted())
            qWarning() << type << stream << r.record.reason << r.error.message;
        return r.accepted();
    }

    static bool openAccount(Session *s, const QString &stream, const QString &owner)
    {
        return run(s, u"OpenAccount"_s, stream, {{u"owner"_s, owner}, {u"currency"_s, u"EUR"_s}});
    }

    static ProjectionStatus statusOf(ProjectionsView &view, const QString &name)
    {
        const int row = view.statusModel()->rowOf(name);
        return row < 0 ? ProjectionStatus() : view.statusModel()->rowAt(row);
    }

    static double balanceIn(ReadModelModel *rows, const QString &key)
    {
        const int row = rows->rowOfKey(key);
        return row < 0 ? -1 : rows->rowAt(row).value.value(u"balance"_s).toDouble();
    }

    // With ES_SCREENSHOT_DIR set, the views of some steps are saved there (for looking at them).
    static void maybeGrab(QWidget &view, const QString &name)
    {
        const QString dir = qEnvironmentVariable("ES_SCREENSHOT_DIR");
        if (!dir.isEmpty())
            view.grab().save(dir + u'/' + name + u".png"_s);
    }

    template <typename T>
    static T *child(QWidget &view, const QString &name)
    {
        T *w = view.findChild<T *>(name);
        if (!w)
            qWarning() << "no child" << name;
        return w;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QCoreApplication::setOrganizationName(u"eventscope-tests"_s);
        QCoreApplication::setApplicationName(u"tst_projectionsview"_s);
    }

    void noSessionShowsNothing()
    {
        ProjectionsView view;
        QAbstractItemModelTester t(view.statusModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        view.setSession(nullptr);
        QCOMPARE(view.statusModel()->rowCount(), 0);
        QVERIFY(!child<QToolButton>(view, u"pause"_s)->isEnabled());
        QVERIFY(!child<QToolButton>(view, u"rebuild"_s)->isEnabled());
        QVERIFY(child<QLabel>(view, u"mode"_s)->text().contains(u"No store"_s));
    }

    void tableRowsFollowCommandsLive()
    {
        auto session = open(freshPath(u"bank"_s), bankPack());
        QVERIFY(session);
        QVERIFY(openAccount(session.get(), u"acc-1"_s, u"Ann"_s));
        QVERIFY(run(session.get(), u"Deposit"_s, u"acc-1"_s, {{u"amount"_s, 100}}));

        ProjectionsView view;
        QAbstractItemModelTester t1(view.statusModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester t2(view.rowsModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        view.setSession(session.get());
        view.resize(1100, 750);
        view.show();
        QTRY_COMPARE_WITH_TIMEOUT(view.statusModel()->rowOf(u"Balances"_s), 0, 10000);
        QCOMPARE(view.currentProjection(), u"Balances"_s);
        QCOMPARE(statusOf(view, u"Balances"_s).kind, ProjectionKind::Table);
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(view, u"Balances"_s).position, session->head(), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(balanceIn(view.rowsModel(), u"acc-1"_s), 100.0, 10000);
        QCOMPARE(view.statusModel()->index(0, ProjectionStatusModel::StateColumn).data().toString(),
                 ProjectionStatusModel::stateText(statusOf(view, u"Balances"_s)));
        QCOMPARE(session->projectionStatuses().size(), 1);

        // New commands: rows appear and change in place, highlighted, without a reset.
        QSignalSpy reset(view.rowsModel(), &QAbstractItemModel::modelReset);
        QVERIFY(openAccount(session.get(), u"acc-2"_s, u"Bob"_s));
        QVERIFY(run(session.get(), u"Deposit"_s, u"acc-2"_s, {{u"amount"_s, 42}}));
        QTRY_COMPARE_WITH_TIMEOUT(balanceIn(view.rowsModel(), u"acc-2"_s), 42.0, 10000);
        QVERIFY(view.rowsModel()->highlight(view.rowsModel()->rowOfKey(u"acc-2"_s)) > 0);
        QVERIFY(view.rowsModel()->index(view.rowsModel()->rowOfKey(u"acc-2"_s), 1)
                    .data(Qt::BackgroundRole)
                    .isValid());
        QVERIFY(run(session.get(), u"Deposit"_s, u"acc-1"_s, {{u"amount"_s, 1}}));
        QTRY_COMPARE_WITH_TIMEOUT(balanceIn(view.rowsModel(), u"acc-1"_s), 101.0, 10000);
        QCOMPARE(reset.count(), 0);
        QCOMPARE(view.rowsModel()->rowCount(), 2);
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(view, u"Balances"_s).position, session->head(), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!view.chart()->samples().isEmpty(), 10000);

        // Closing an account deletes its row.
        QVERIFY(run(session.get(), u"Withdraw"_s, u"acc-2"_s, {{u"amount"_s, 42}}));
        QVERIFY(run(session.get(), u"CloseAccount"_s, u"acc-2"_s, {}));
        QTRY_COMPARE_WITH_TIMEOUT(view.rowsModel()->rowOfKey(u"acc-2"_s), -1, 10000);
        view.setSession(nullptr);
        QCOMPARE(view.statusModel()->rowCount(), 0);
    }

    void pauseShowsLagThenResumeCatchesUp()
    {
        auto session = open(freshPath(u"pause"_s), bankPack());
        QVERIFY(session);
        QVERIFY(openAccount(session.get(), u"acc-1"_s, u"Ann"_s));
        ProjectionsView view;
        QAbstractItemModelTester t(view.statusModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        view.setSession(session.get());
        view.show();
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(view, u"Balances"_s).position, session->head(), 10000);
        auto *pause = child<QToolButton>(view, u"pause"_s);
        auto *resume = child<QToolButton>(view, u"resume"_s);
        QTRY_VERIFY(pause->isEnabled());
        QVERIFY(!resume->isEnabled());
        QTest::mouseClick(pause, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(view, u"Balances"_s).state, ProjectionState::Paused, 10000);
        QTRY_VERIFY(resume->isEnabled());
        QVERIFY(!pause->isEnabled());

        QVERIFY(run(session.get(), u"Deposit"_s, u"acc-1"_s, {{u"amount"_s, 5}}));
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(view, u"Balances"_s).lagEvents, 1, 10000);
        QCOMPARE(balanceIn(view.rowsModel(), u"acc-1"_s), 0.0);
        QVERIFY(view.statusModel()
                    ->index(view.statusModel()->rowOf(u"Balances"_s), ProjectionStatusModel::LagEventsColumn)
                    .data()
                    .toString() == u"1"_s);

        QTest::mouseClick(resume, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(view, u"Balances"_s).state, ProjectionState::Running, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(view, u"Balances"_s).lagEvents, 0, 10000);
        QCOMPARE(statusOf(view, u"Balances"_s).position, session->head());
        QTRY_COMPARE_WITH_TIMEOUT(balanceIn(view.rowsModel(), u"acc-1"_s), 5.0, 10000);

        // The delay knob reaches the runner (and the pipeline view's API).
        auto *delay = child<QSpinBox>(view, u"delay"_s);
        delay->setValue(750);
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(view, u"Balances"_s).delayMs, 750, 10000);
        session->setProjectionDelay(u"Balances"_s, 0);
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(view, u"Balances"_s).delayMs, 0, 10000);
        QTRY_COMPARE(delay->value(), 0);
    }

    // Big read models come a page at a time (keyset paging); filters and sorting ask the read store.
    void rowsArePagedFilteredAndSorted()
    {
        auto session = open(freshPath(u"paging"_s), bankPack());
        QVERIFY(session);
        const int accounts = ReadModelModel::PageSize + 50;
        for (int i = 0; i < accounts; ++i)
            QVERIFY(openAccount(session.get(), u"acc-%1"_s.arg(i, 3, 10, QLatin1Char('0')), u"Owner %1"_s.arg(i)));
        QVERIFY(run(session.get(), u"Deposit"_s, u"acc-007"_s, {{u"amount"_s, 70}}));
        QVERIFY(run(session.get(), u"Deposit"_s, u"acc-123"_s, {{u"amount"_s, 5}}));
        ProjectionsView view;
        QAbstractItemModelTester t(view.rowsModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        view.setSession(session.get());
        view.resize(1100, 750);
        view.show();
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(view, u"Balances"_s).position, session->head(), 20000);
        // (The view may have fetched more pages while rows arrived; a new query starts over.)
        auto *filter = child<QLineEdit>(view, u"filter"_s);
        QTest::keyClicks(filter, u"balance>=0"_s);
        QTest::keyClick(filter, Qt::Key_Return);
        QCOMPARE(view.rowsModel()->rowCount(), ReadModelModel::PageSize);
        QVERIFY(view.rowsModel()->canFetchMore({}));
        QVERIFY(child<QLabel>(view, u"rowsCount"_s)->text().contains(u"more on scroll"_s));
        child<QTableView>(view, u"rows"_s)->scrollToBottom(); // the view fetches the next page
        QTRY_COMPARE(view.rowsModel()->rowCount(), accounts);
        QVERIFY(!view.rowsModel()->canFetchMore({}));
        QCOMPARE(view.rowsModel()->rowAt(accounts - 1).key, u"acc-%1"_s.arg(accounts - 1));

        filter->setText(u"balance>0"_s);
        QTest::keyClick(filter, Qt::Key_Return);
        QCOMPARE(view.rowsModel()->rowCount(), 2);
        QTest::keyClicks(filter, u", owner=Owner 7"_s);
        QTest::keyClick(filter, Qt::Key_Return);
        QCOMPARE(view.rowsModel()->rowCount(), 1);
        QCOMPARE(view.rowsModel()->rowAt(0).key, u"acc-007"_s);
        filter->setText(u"bal ance>1"_s); // not a column name
        QTest::keyClick(filter, Qt::Key_Return);
        QVERIFY(child<QLabel>(view, u"message"_s)->isVisible());
        QVERIFY(child<QLabel>(view, u"message"_s)->text().startsWith(u"Filter:"_s));
        filter->clear();
        QCOMPARE(view.rowsModel()->rowCount(), ReadModelModel::PageSize);

        // A click on the balance header sorts by it, a second click reverses.
        auto *header = child<QTableView>(view, u"rows"_s)->horizontalHeader();
        int balanceSection = -1;
        for (int c = 0; c < view.rowsModel()->columnCount(); ++c)
            if (view.rowsModel()->fieldOf(c) == u"balance"_s)
                balanceSection = c;
        QVERIFY(balanceSection > 0);
        QTest::mouseClick(header->viewport(), Qt::LeftButton, {},
                          QPoint(header->sectionViewportPosition(balanceSection) + 5, header->height() / 2));
        QCOMPARE(view.rowsModel()->query().sortBy, u"balance"_s);
        QCOMPARE(view.rowsModel()->rowAt(view.rowsModel()->rowCount() - 1).value.value(u"balance"_s).toDouble(), 0.0);
        QTest::mouseClick(header->viewport(), Qt::LeftButton, {},
                          QPoint(header->sectionViewportPosition(balanceSection) + 5, header->height() / 2));
        QVERIFY(view.rowsModel()->query().descending);
        QCOMPARE(view.rowsModel()->rowAt(0).key, u"acc-007"_s);
        QCOMPARE(view.rowsModel()->rowAt(1).key, u"acc-123"_s);

        // Live changes land where the rows sort.
        QVERIFY(run(session.get(), u"Deposit"_s, u"acc-200"_s, {{u"amount"_s, 30}}));
        QTRY_COMPARE_WITH_TIMEOUT(view.rowsModel()->rowAt(1).key, u"acc-200"_s, 10000);
    }

    void poisonEventIsShownAndSkipped()
    {
        QString source = readFile(bankPack());
        const QString handler = u"MoneyDeposited(row, event) { return withBalance(row, event); },"_s;
        QVERIFY(source.contains(handler));
        source.replace(handler, u"MoneyDeposited(row, event) { if (event.data.amount === 13) throw new Error("
                                "\"unlucky amount\"); return withBalance(row, event); },"_s);
        const QString pack = m_dir.filePath(u"poison.js"_s);
        QVERIFY(writeFile(pack, source));

        auto session = open(freshPath(u"poison"_s), pack);
        QVERIFY(session);
        QVERIFY(openAccount(session.get(), u"acc-1"_s, u"Ann"_s));
        QVERIFY(run(session.get(), u"Deposit"_s, u"acc-1"_s, {{u"amount"_s, 13}}));
        const qint64 poisonAt = session->head();
        QVERIFY(run(session.get(), u"Deposit"_s, u"acc-1"_s, {{u"amount"_s, 7}}));

        ProjectionsView view;
        QAbstractItemModelTester t(view.statusModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy reveal(&view, &ProjectionsView::revealEventRequested);
        view.setSession(session.get());
        view.show();
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(view, u"Balances"_s).state, ProjectionState::Failed, 10000);
        QCOMPARE(statusOf(view, u"Balances"_s).errorPosition, poisonAt);
        QCOMPARE(statusOf(view, u"Balances"_s).position, poisonAt - 1);
        auto *panel = child<QWidget>(view, u"errorPanel"_s);
        QTRY_VERIFY(panel->isVisible());
        QVERIFY(child<QLabel>(view, u"errorText"_s)->text().contains(u"unlucky amount"_s));
        QVERIFY(child<QLabel>(view, u"errorEvent"_s)->text().contains(u"#%1"_s.arg(poisonAt)));
        QVERIFY(child<QLabel>(view, u"errorEvent"_s)->text().contains(u"MoneyDeposited"_s));
        maybeGrab(view, u"projections-poison"_s);
        QTest::mouseClick(child<QPushButton>(view, u"inspect"_s), Qt::LeftButton);
        QCOMPARE(reveal.count(), 1);
        QCOMPARE(reveal.first().first().toLongLong(), poisonAt);

        auto *skip = child<QToolButton>(view, u"skip"_s);
        QVERIFY(skip->isEnabled());
        QTest::mouseClick(skip, Qt::LeftButton);
        auto *dialog = view.findChild<QDialog *>(u"skipDialog"_s);
        QVERIFY(dialog);
        QTRY_VERIFY(dialog->isVisible());
        auto *confirm = dialog->findChild<QPushButton *>(u"confirmSkip"_s);
        QVERIFY(!confirm->isEnabled()); // a reason is required
        QTest::keyClicks(dialog->findChild<QLineEdit *>(u"skipReason"_s), u"test data, known bad"_s);
        QVERIFY(confirm->isEnabled());
        QTest::mouseClick(confirm, Qt::LeftButton);

        QTRY_COMPARE_WITH_TIMEOUT(statusOf(view, u"Balances"_s).state, ProjectionState::Running, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(view, u"Balances"_s).position, session->head(), 10000);
        QTRY_VERIFY(!panel->isVisible());
        // The event after the poison one was applied: balance 13 + 7 recorded by the store.
        QTRY_COMPARE_WITH_TIMEOUT(balanceIn(view.rowsModel(), u"acc-1"_s), 20.0, 10000);
        auto audit = session->projections()->readStore()->skips(u"Balances"_s);
        QVERIFY(audit);
        QCOMPARE(audit->size(), 1);
        QCOMPARE(audit->first().position, poisonAt);
        QCOMPARE(audit->first().reason, u"test data, known bad"_s);
        QVERIFY(audit->first().error.contains(u"unlucky amount"_s));
    }

    void rebuildShowsDiffThenSwaps()
    {
        const QString pack = m_dir.filePath(u"rebuild.js"_s);
        const QString original = readFile(bankPack());
        QVERIFY(writeFile(pack, original));
        auto session = open(freshPath(u"rebuild"_s), pack);
        QVERIFY(session);
        for (int i = 1; i <= 3; ++i) {
            QVERIFY(openAccount(session.get(), u"acc-%1"_s.arg(i), u"Owner %1"_s.arg(i)));
            QVERIFY(run(session.get(), u"Deposit"_s, u"acc-%1"_s.arg(i), {{u"amount"_s, 10 * i}}));
        }
        ProjectionsView view;
        QAbstractItemModelTester t(view.diffModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester t2(view.rowsModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        view.setSession(session.get());
        view.resize(1100, 750);
        view.show();
        QTRY_COMPARE_WITH_TIMEOUT(balanceIn(view.rowsModel(), u"acc-3"_s), 30.0, 10000);

        // A first rebuild with the same pack: nothing differs; discard it.
        auto *rebuild = child<QToolButton>(view, u"rebuild"_s);
        QTRY_VERIFY(rebuild->isEnabled());
        QTest::mouseClick(rebuild, Qt::LeftButton);
        // Asked first: nothing starts until confirmed.
        auto *panel = child<QGroupBox>(view, u"rebuildPanel"_s);
        QVERIFY(!panel->isVisible());
        QVERIFY(child<QWidget>(view, u"confirmPanel"_s)->isVisible());
        QTest::mouseClick(child<QPushButton>(view, u"confirmRebuild"_s), Qt::LeftButton);
        QVERIFY(panel->isVisible());
        QVERIFY(!rebuild->isEnabled());
        auto *swap = child<QPushButton>(view, u"swap"_s);
        QTRY_VERIFY_WITH_TIMEOUT(swap->isVisible(), 10000);
        QVERIFY(child<QLabel>(view, u"diffSummary"_s)->text().contains(u"No difference"_s));
        QTest::mouseClick(child<QPushButton>(view, u"discard"_s), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!panel->isVisible(), 10000);
        QTRY_VERIFY(rebuild->isEnabled());

        // The pack changes how balances are kept: the rebuild shows what would change.
        QString doubled = original;
        const QString from = u"Object.assign({}, row, { balance: event.data.balance })"_s;
        QVERIFY(doubled.contains(from));
        doubled.replace(from, u"Object.assign({}, row, { balance: event.data.balance * 2 })"_s);
        QVERIFY(writeFile(pack, doubled));
        QVERIFY(session->reloadPack());
        // The reload and the rebuild are queued to the worker in that order.
        QTest::mouseClick(rebuild, Qt::LeftButton);
        QTest::mouseClick(child<QPushButton>(view, u"confirmRebuild"_s), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(swap->isVisible(), 10000);
        QCOMPARE(view.diffModel()->rowCount(), 3);
        QCOMPARE(view.diffModel()->rowAt(0).kind, RowChange::Kind::Changed);
        QVERIFY(view.diffModel()->index(0, RowDiffModel::AfterColumn).data().toString().contains(u"balance: "_s));
        QVERIFY(child<QLabel>(view, u"diffSummary"_s)->text().contains(u"~3 changed"_s));
        QCOMPARE(balanceIn(view.rowsModel(), u"acc-3"_s), 30.0); // live rows untouched until the swap
        maybeGrab(view, u"projections-rebuild"_s);
        QTest::mouseClick(swap, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!panel->isVisible(), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(balanceIn(view.rowsModel(), u"acc-3"_s), 60.0, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(view, u"Balances"_s).generation, 1, 10000);
        QCOMPARE(statusOf(view, u"Balances"_s).state, ProjectionState::Running);
    }

    void searchProjectionShowsRankedHits()
    {
        auto session = open(freshPath(u"shop"_s), sourcePath(u"resources/domains/shop.js"_s));
        QVERIFY(session);
        QVERIFY(run(session.get(), u"AddProduct"_s, u"product-MUG-RED"_s,
                    {{u"name"_s, u"Red mug"_s}, {u"description"_s, u"A sturdy ceramic mug, red glaze"_s},
                     {u"price"_s, 9.5}, {u"stock"_s, 10}}));
        QVERIFY(run(session.get(), u"AddProduct"_s, u"product-TEE-BLUE"_s,
                    {{u"name"_s, u"Blue tee"_s}, {u"description"_s, u"Cotton t-shirt"_s}, {u"price"_s, 15},
                     {u"stock"_s, 5}}));
        ProjectionsView view;
        QAbstractItemModelTester t(view.hitsModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        view.setSession(session.get());
        view.resize(1100, 750);
        view.show();
        QTRY_VERIFY_WITH_TIMEOUT(view.statusModel()->rowOf(u"ProductSearch"_s) >= 0, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(view, u"ProductSearch"_s).position, session->head(), 10000);
        view.selectProjection(u"ProductSearch"_s);
        QCOMPARE(view.currentProjection(), u"ProductSearch"_s);
        auto *search = child<QLineEdit>(view, u"search"_s);
        QVERIFY(search->isVisible());
        QVERIFY(!child<QLineEdit>(view, u"filter"_s)->isVisible());
        QTRY_COMPARE(view.rowsModel()->rowCount(), 2); // the documents, before any search
        QTest::keyClicks(search, u"ceramic"_s);
        QTRY_COMPARE(view.hitsModel()->rowCount(), 1);
        QCOMPARE(view.hitsModel()->rowAt(0).key, u"MUG-RED"_s);
        QVERIFY(view.hitsModel()->index(0, SearchHitsModel::SnippetColumn).data().toString().contains(
            u"<mark>ceramic</mark>"_s));
        QTRY_VERIFY(child<QTextBrowser>(view, u"preview"_s)->toPlainText().contains(u"Red mug"_s));
        maybeGrab(view, u"projections-search"_s);

        // Live: a new matching product shows up in the hits.
        QVERIFY(run(session.get(), u"AddProduct"_s, u"product-BOWL"_s,
                    {{u"name"_s, u"Bowl"_s}, {u"description"_s, u"Ceramic bowl"_s}, {u"price"_s, 12}}));
        QTRY_COMPARE_WITH_TIMEOUT(view.hitsModel()->rowCount(), 2, 10000);
        search->clear();
        QTRY_COMPARE(view.rowsModel()->rowCount(), 3);
    }

    void pageProjectionShowsRenderedPages()
    {
        auto session = open(freshPath(u"site"_s), sourcePath(u"resources/domains/publishing.js"_s));
        QVERIFY(session);
        QVERIFY(run(session.get(), u"DraftArticle"_s, u"article-hello-world"_s,
                    {{u"title"_s, u"Hello, world"_s}, {u"body"_s, u"First words."_s}, {u"author"_s, u"Ann"_s}}));
        QVERIFY(run(session.get(), u"PublishArticle"_s, u"article-hello-world"_s, {}));
        ProjectionsView view;
        QAbstractItemModelTester t(view.rowsModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        view.setSession(session.get());
        view.resize(1100, 750);
        view.show();
        QTRY_VERIFY_WITH_TIMEOUT(view.statusModel()->rowOf(u"Site"_s) >= 0, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(view, u"Site"_s).position, session->head(), 10000);
        view.selectProjection(u"Site"_s);
        QTRY_COMPARE(view.rowsModel()->rowCount(), 2);
        const int index = view.rowsModel()->rowOfKey(u"/index.html"_s);
        QVERIFY(index >= 0);
        QCOMPARE(view.rowsModel()->headerData(0, Qt::Horizontal).toString(), u"path"_s);
        QVERIFY(!view.rowsModel()->index(index, 3).data().toString().isEmpty()); // the ETag
        auto *rows = child<QTableView>(view, u"rows"_s);
        rows->setCurrentIndex(view.rowsModel()->index(index, 0));
        auto *preview = child<QTextBrowser>(view, u"preview"_s);
        QVERIFY(preview->isVisible());
        QTRY_VERIFY(preview->toPlainText().contains(u"Hello, world"_s));
        const QString version = view.rowsModel()->index(index, 2).data().toString();
        maybeGrab(view, u"projections-pages"_s);

        // Another article: the index page is rendered again, and the preview follows.
        QVERIFY(run(session.get(), u"DraftArticle"_s, u"article-second"_s,
                    {{u"title"_s, u"Second thoughts"_s}, {u"body"_s, u"More words."_s}, {u"author"_s, u"Bob"_s}}));
        QVERIFY(run(session.get(), u"PublishArticle"_s, u"article-second"_s, {}));
        QTRY_COMPARE_WITH_TIMEOUT(view.rowsModel()->rowCount(), 3, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(preview->toPlainText().contains(u"Second thoughts"_s), 10000);
        QVERIFY(view.rowsModel()->index(view.rowsModel()->rowOfKey(u"/index.html"_s), 2).data().toString() !=
                version);
    }

    void readOnlySessionObservesCheckpoints()
    {
        const QString path = freshPath(u"readonly"_s);
        {
            auto writer = open(path, bankPack());
            QVERIFY(writer);
            QVERIFY(openAccount(writer.get(), u"acc-1"_s, u"Ann"_s));
            QTRY_VERIFY_WITH_TIMEOUT(!writer->projectionStatuses().isEmpty() &&
                                         writer->projectionStatuses().first().position == writer->head(),
                                     10000);
        }
        auto session = open(path, bankPack(), true);
        QVERIFY(session);
        QCOMPARE(session->projections()->mode(), ProjectionHost::Mode::Observing);
        ProjectionsView view;
        QAbstractItemModelTester t(view.statusModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        view.setSession(session.get());
        view.show();
        QCOMPARE(view.statusModel()->rowCount(), 1);
        QCOMPARE(statusOf(view, u"Balances"_s).position, session->head());
        QCOMPARE(view.rowsModel()->rowCount(), 1);
        QVERIFY(!child<QToolButton>(view, u"pause"_s)->isEnabled());
        QVERIFY(!child<QToolButton>(view, u"rebuild"_s)->isEnabled());
        QVERIFY(child<QLabel>(view, u"mode"_s)->text().contains(u"read-only"_s));
    }

    void chartScale_data()
    {
        QTest::addColumn<double>("value");
        QTest::addColumn<double>("ceiling");
        QTest::newRow("zero") << 0.0 << 1.0;
        QTest::newRow("one") << 1.0 << 1.0;
        QTest::newRow("1.2") << 1.2 << 2.0;
        QTest::newRow("3") << 3.0 << 5.0;
        QTest::newRow("730") << 730.0 << 1000.0;
        QTest::newRow("12000") << 12000.0 << 20000.0;
    }
    void chartScale()
    {
        QFETCH(double, value);
        QFETCH(double, ceiling);
        QCOMPARE(ThroughputChart::niceCeiling(value), ceiling);
    }

    // A picture of the dashboard for the README (ES_SCREENSHOT=path).
    void screenshot()
    {
        const QString out = qEnvironmentVariable("ES_SCREENSHOT");
        if (out.isEmpty())
            QSKIP("set ES_SCREENSHOT to write a screenshot");
        auto session = open(freshPath(u"shot"_s), sourcePath(u"resources/domains/shop.js"_s));
        QVERIFY(session);
        ProjectionsView view;
        view.setSession(session.get());
        view.resize(1280, 800);
        view.show();
        // A live workload for half a minute, with a delay on Orders for a while: lag, then catching up.
        for (int round = 0; round < 30; ++round) {
            WorkloadGenerator::Options o;
            o.commands = 10 + (round * 7) % 25;
            o.seed = quint32(round + 1);
            QVERIFY(WorkloadGenerator(session->pipeline(), o).run());
            if (round == 10)
                session->setProjectionDelay(u"Orders"_s, 3000);
            if (round == 20)
                session->setProjectionDelay(u"Orders"_s, 0);
            QTest::qWait(1000);
        }
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(view, u"Orders"_s).position, session->head(), 10000);
        view.selectProjection(u"Orders"_s);
        QTest::qWait(300);
        QVERIFY(view.grab().save(out));
    }
};

QTEST_MAIN(TestProjectionsView)
#include "tst_projectionsview.moc"
