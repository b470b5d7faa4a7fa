#include "compare/divergencemodel.h"
#include "compare/domaincompareview.h"
#include "common/jsontreewidget.h"
#include "demo.h"
#include "session.h"
#include "sessionsupport.h"
#include "whatif/forkeventsmodel.h"
#include "whatif/whatifview.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableView>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace Qt::StringLiterals;
using namespace es;

// The what-if sandbox view and the domain compare view, driven as a user would.
// With ES_SCREENSHOT_DIR set, the views are also saved as PNGs there.
class TestWhatIf : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    int m_stores = 0;

    static std::unique_ptr<Session> open(const QString &path) { return openTestSession(path); }

    static bool run(Session *s, const QString &type, const QString &stream, const QJsonObject &payload)
    {
        return runCommand(s, type, stream, payload).accepted();
    }

    // account-1: opened (1), +100 (2), +50 (3), -30 (4); account-2: opened (5), +10 (6).
    std::unique_ptr<Session> bankSession(QString *path)
    {
        *path = m_dir.filePath(u"bank-%1.db"_s.arg(++m_stores));
        auto s = open(*path);
        if (!s)
            return nullptr;
        bool ok = run(s.get(), u"OpenAccount"_s, u"account-1"_s, {{u"owner"_s, u"Ann"_s}, {u"currency"_s, u"EUR"_s}});
        ok = ok && run(s.get(), u"Deposit"_s, u"account-1"_s, {{u"amount"_s, 100}});
        ok = ok && run(s.get(), u"Deposit"_s, u"account-1"_s, {{u"amount"_s, 50}});
        ok = ok && run(s.get(), u"Withdraw"_s, u"account-1"_s, {{u"amount"_s, 30}});
        ok = ok && run(s.get(), u"OpenAccount"_s, u"account-2"_s, {{u"owner"_s, u"Bob"_s}, {u"currency"_s, u"EUR"_s}});
        ok = ok && run(s.get(), u"Deposit"_s, u"account-2"_s, {{u"amount"_s, 10}});
        return ok ? std::move(s) : nullptr;
    }

    // The events and the command log, as stored. (Not the file's bytes: the
    // session's own projections write their read tables into the same file.)
    static QByteArray storeFingerprint(EventStore *store)
    {
        QCryptographicHash h(QCryptographicHash::Sha256);
        store->scan(1, [&h](const RecordedEvent &e) {
            const QByteArray row = QByteArray::number(e.position) + e.stream.toUtf8() + QByteArray::number(e.version) +
                                   e.data + e.metadata + e.hash;
            h.addData(row);
            return true;
        });
        if (auto commands = store->commands(0, 100000))
            h.addData(QByteArray::number(commands->size()));
        return h.result().toHex();
    }

    static QString node()
    {
        const QString path = QStandardPaths::findExecutable(u"node"_s);
        return path.isEmpty() ? QStandardPaths::findExecutable(u"nodejs"_s) : path;
    }

    static QString writeModifiedBank(const QString &dir)
    {
        QFile in(bankPack());
        if (!in.open(QIODevice::ReadOnly))
            return {};
        QString text = QString::fromUtf8(in.readAll());
        const QString from = u"return Object.assign({}, state, { balance: cents(state.balance - event.data.amount) });"_s;
        const qsizetype at = text.indexOf(from);
        if (at < 0)
            return {};
        text.replace(at, from.size(),
                     u"return Object.assign({}, state, { balance: cents(state.balance - 2 * event.data.amount) });"_s);
        const QString path = dir + u"/bank-v2.js"_s;
        QFile out(path);
        if (!out.open(QIODevice::WriteOnly))
            return {};
        out.write(text.toUtf8());
        return path;
    }

    static void shoot(QWidget *w, const QString &name)
    {
        const QString dir = qEnvironmentVariable("ES_SCREENSHOT_DIR");
        if (dir.isEmpty())
            return;
        QDir().mkpath(dir);
        w->grab().save(dir + u'/' + name);
    }

    // Answers the next modal question with Yes.
    static void acceptNextQuestion()
    {
        QTimer::singleShot(0, [] {
            if (auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget()))
                box->button(QMessageBox::Yes)->click();
        });
    }

    template <typename T>
    static T *child(QWidget *w, const QString &name)
    {
        T *c = w->findChild<T *>(name);
        if (!c)
            qWarning() << "no child" << name;
        return c;
    }

    static void setCheck(QAbstractItemModel *m, int row, bool on)
    {
        QVERIFY(m->setData(m->index(row, ForkEventsModel::InForkColumn), on ? Qt::Checked : Qt::Unchecked,
                           Qt::CheckStateRole));
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void whatIfForkSkipCommandCompareLeavesTheStoreAlone()
    {
        QString path;
        auto session = bankSession(&path);
        QVERIFY(session);
        const QByteArray hashBefore = storeFingerprint(session->store());
        WhatIfView view;
        QAbstractItemModelTester tester(view.eventsModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        view.resize(1300, 800);
        view.setSession(session.get());
        view.show();
        QVERIFY(child<QLabel>(&view, u"sandboxBanner"_s)->text().contains(u"SANDBOX"_s));
        auto *position = child<QSpinBox>(&view, u"forkPosition"_s);
        QCOMPARE(position->maximum(), 6);
        QCOMPARE(position->value(), 6);
        QVERIFY(!child<QPushButton>(&view, u"issueButton"_s)->isEnabled());

        position->setValue(4);
        QTest::mouseClick(child<QPushButton>(&view, u"forkButton"_s), Qt::LeftButton);
        QTRY_VERIFY(view.sandbox()->isReady() && !view.sandbox()->isBusy());
        QCOMPARE(view.eventsModel()->rowCount(), 4);
        QVERIFY(child<QLabel>(&view, u"sandboxBanner"_s)->text().contains(u"position 4"_s));
        QCOMPARE(view.eventsModel()->index(1, ForkEventsModel::TypeColumn).data().toString(), u"MoneyDeposited"_s);

        // Selecting an event compares its stream.
        auto *events = child<QTableView>(&view, u"forkEvents"_s);
        events->setCurrentIndex(view.eventsModel()->index(3, ForkEventsModel::TypeColumn));
        QCOMPARE(view.comparedStream(), u"account-1"_s);
        QCOMPARE(child<QLineEdit>(&view, u"forkStream"_s)->text(), u"account-1"_s);
        QVERIFY(child<QLabel>(&view, u"aggregateSummary"_s)->text().contains(u"the same state"_s));

        // Unchecking the first deposit rebuilds the fork without it.
        QSignalSpy forked(view.sandbox(), &Sandbox::forked);
        setCheck(view.eventsModel(), 1, false);
        QTRY_COMPARE(forked.size(), 1);
        QCOMPARE(view.sandbox()->skipped(), (QSet<qint64>{2}));
        QCOMPARE(view.eventsModel()->index(1, ForkEventsModel::InForkColumn).data(Qt::CheckStateRole).toInt(),
                 int(Qt::Unchecked));
        auto *forkTree = child<JsonTreeWidget>(&view, u"forkState"_s);
        QCOMPARE(forkTree->jsonModel()->changedPaths(), QStringList{u"balance"_s});
        QVERIFY(child<QLabel>(&view, u"aggregateSummary"_s)->text().contains(u"difference"_s));

        // A command into the fork, from the form.
        auto *command = child<QComboBox>(&view, u"forkCommand"_s);
        command->setCurrentIndex(command->findText(u"Account.Withdraw"_s));
        QVERIFY(command->currentIndex() >= 0);
        auto *amount = child<QLineEdit>(&view, u"field:amount"_s);
        QVERIFY(amount);
        amount->setText(u"50"_s);
        QTest::mouseClick(child<QPushButton>(&view, u"issueButton"_s), Qt::LeftButton);
        QVERIFY2(child<QLabel>(&view, u"forkOutcome"_s)->text().contains(u"insufficient funds"_s),
                 qPrintable(child<QLabel>(&view, u"forkOutcome"_s)->text()));
        QCOMPARE(child<QTableWidget>(&view, u"forkCommands"_s)->rowCount(), 1);

        // Restoring the event runs the command again: accepted now, its event listed as new.
        setCheck(view.eventsModel(), 1, true);
        QTRY_COMPARE(forked.size(), 2);
        QCOMPARE(view.sandbox()->commands().constFirst().result.record.outcome, CommandOutcome::Accepted);
        QCOMPARE(view.eventsModel()->rowCount(), 5);
        QVERIFY(view.eventsModel()->index(4, 0).data(ForkEventsModel::IsNewRole).toBool());
        QCOMPARE(view.eventsModel()->index(4, ForkEventsModel::TypeColumn).data().toString(), u"MoneyWithdrawn"_s);
        QVERIFY(!(view.eventsModel()->flags(view.eventsModel()->index(4, 0)) & Qt::ItemIsUserCheckable));
        QCOMPARE(forkTree->jsonModel()->changedPaths(), QStringList{u"balance"_s});

        // Read models, built in a worker.
        child<QTabWidget>(&view, u"compareTabs"_s)->setCurrentIndex(1);
        QTest::mouseClick(child<QPushButton>(&view, u"compareReadModels"_s), Qt::LeftButton);
        auto *rows = child<QTableWidget>(&view, u"readModelRows"_s);
        QTRY_COMPARE(rows->rowCount(), 1);
        QCOMPARE(rows->item(0, 0)->text(), u"account-1"_s);
        QCOMPARE(rows->item(0, 1)->text(), u"changed"_s);
        child<QCheckBox>(&view, u"onlyDifferences"_s)->setChecked(false);
        QCOMPARE(rows->rowCount(), 1); // account-2 opened after the fork position: in neither
        child<QCheckBox>(&view, u"onlyDifferences"_s)->setChecked(true);

        // Export the command as a fixture; the Node harness runs it green.
        if (!node().isEmpty()) {
            const QString fixture = m_dir.filePath(u"view.cases.json"_s);
            QVERIFY(view.exportFixture(0, fixture));
            QProcess p;
            p.start(node(), {sourcePath(u"resources/harness/harness.js"_s), bankPack(), fixture});
            QVERIFY(p.waitForFinished(60000));
            QVERIFY2(p.exitCode() == 0, p.readAllStandardOutput().constData());
        }

        // Double-click an original event: reveal it.
        QSignalSpy reveal(&view, &WhatIfView::revealEventRequested);
        const QRect r = events->visualRect(view.eventsModel()->index(2, ForkEventsModel::TypeColumn));
        QTest::mouseClick(events->viewport(), Qt::LeftButton, {}, r.center());
        QTest::mouseDClick(events->viewport(), Qt::LeftButton, {}, r.center());
        QCOMPARE(reveal.size(), 1);
        QCOMPARE(reveal.at(0).at(0).toLongLong(), 3);

        // Forking again asks first (commands would be lost), then drops them.
        acceptNextQuestion();
        view.forkAt(6);
        QTRY_COMPARE(forked.size(), 3);
        QCOMPARE(view.sandbox()->position(), 6);
        QVERIFY(view.sandbox()->commands().isEmpty());
        QCOMPARE(view.eventsModel()->rowCount(), 6);

        // Nothing reached the real store.
        QCOMPARE(session->store()->headPosition(), 6);
        QCOMPARE(storeFingerprint(session->store()), hashBefore);
        auto verify = session->store()->verify();
        QVERIFY(verify && verify->intact);
        view.setSession(nullptr);
        QVERIFY(!view.sandbox()->isReady());
    }

    void domainCompareViewFindsTheDivergence()
    {
        QString path;
        auto session = bankSession(&path);
        QVERIFY(session);
        QTemporaryDir dir;
        const QString v2 = writeModifiedBank(dir.path());
        QVERIFY(!v2.isEmpty());
        DomainCompareView view;
        QAbstractItemModelTester tester(view.resultsModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester proxyTester(view.proxy(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        view.resize(1200, 700);
        view.setSession(session.get());
        child<QCheckBox>(&view, u"hideEqual"_s)->setChecked(false);
        child<QComboBox>(&view, u"streamFilter"_s)->setCurrentIndex(0);
        QVERIFY(child<QLabel>(&view, u"packA"_s)->text().contains(u"bank"_s));
        QVERIFY(view.setPackB(v2));
        auto *compare = child<QPushButton>(&view, u"compareButton"_s);
        QVERIFY(compare->isEnabled());
        QTest::mouseClick(compare, Qt::LeftButton);
        QTRY_COMPARE(view.resultsModel()->rowCount(), 2);
        QVERIFY(!view.engine()->isRunning());
        QVERIFY(child<QLabel>(&view, u"compareSummary"_s)->text().contains(u"1 differ"_s));
        // The first differing stream is selected and shown side by side.
        auto *table = child<QTableView>(&view, u"compareResults"_s);
        const QModelIndex current = table->currentIndex();
        QVERIFY(current.isValid());
        QCOMPARE(current.siblingAtColumn(DivergenceModel::StreamColumn).data().toString(), u"account-1"_s);
        QCOMPARE(current.siblingAtColumn(DivergenceModel::VersionColumn).data().toLongLong(), 4);
        QCOMPARE(current.siblingAtColumn(DivergenceModel::EventTypeColumn).data().toString(), u"MoneyWithdrawn"_s);
        QCOMPARE(current.siblingAtColumn(DivergenceModel::PathsColumn).data().toString(), u"balance"_s);
        QVERIFY(child<QLabel>(&view, u"divergenceDetail"_s)->text().contains(u"MoneyWithdrawn"_s));
        QCOMPARE(child<JsonTreeWidget>(&view, u"stateB"_s)->jsonModel()->changedPaths(), QStringList{u"balance"_s});
        QSignalSpy reveal(&view, &DomainCompareView::revealEventRequested);
        QTest::mouseClick(child<QPushButton>(&view, u"revealDivergence"_s), Qt::LeftButton);
        QCOMPARE(reveal.size(), 1);
        QCOMPARE(reveal.at(0).at(0).toLongLong(), 4);

        child<QCheckBox>(&view, u"hideEqual"_s)->setChecked(true);
        QCOMPARE(view.proxy()->rowCount(), 1);
        child<QCheckBox>(&view, u"hideEqual"_s)->setChecked(false);

        // Listed streams only.
        view.compareStreams({u"account-2"_s});
        QTRY_COMPARE(view.resultsModel()->rowCount(), 1);
        QTRY_VERIFY(!view.engine()->isRunning());
        QCOMPARE(view.resultsModel()->index(0, DivergenceModel::StatusColumn).data().toString(), u"equal"_s);

        // A broken pack B: the error names the file and the line, and Compare is off.
        const QString broken = dir.filePath(u"bank-broken.js"_s);
        QFile out(broken);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write("(function () {\n  return {\n    name: \"bank\",\n    aggregates: {\n      Account: { evolve: { "
                  "A(s) { return s +; } } }\n    }\n  };\n})()\n");
        out.close();
        QVERIFY(!view.setPackB(broken));
        QVERIFY2(view.errorText().contains(u"bank-broken.js:5"_s), qPrintable(view.errorText()));
        QVERIFY(child<QLabel>(&view, u"packBInfo"_s)->text().contains(u"bank-broken.js:5"_s));
        QVERIFY(!compare->isEnabled());
        QVERIFY(view.setPackB(v2));
        QVERIFY(compare->isEnabled());
        view.setSession(nullptr);
        QCOMPARE(view.resultsModel()->rowCount(), 0);
        QVERIFY(!compare->isEnabled());
    }

    void domainCompareOfAnInMemoryStoreRunsHere()
    {
        auto session = open(u":memory:"_s);
        QVERIFY(session);
        QVERIFY(run(session.get(), u"OpenAccount"_s, u"a-1"_s, {{u"owner"_s, u"A"_s}, {u"currency"_s, u"EUR"_s}}));
        QVERIFY(run(session.get(), u"Deposit"_s, u"a-1"_s, {{u"amount"_s, 5}}));
        QVERIFY(run(session.get(), u"Withdraw"_s, u"a-1"_s, {{u"amount"_s, 1}}));
        QTemporaryDir dir;
        DomainCompareView view;
        view.setSession(session.get());
        QVERIFY(view.setPackB(writeModifiedBank(dir.path())));
        child<QComboBox>(&view, u"streamFilter"_s)->setCurrentIndex(0);
        QTest::mouseClick(child<QPushButton>(&view, u"compareButton"_s), Qt::LeftButton);
        QCOMPARE(view.resultsModel()->rowCount(), 1);
        QCOMPARE(view.resultsModel()->rowAt(0).version, 3);
    }

    // Realistic data for the README: the bank demo store.
    void screenshots()
    {
        if (qEnvironmentVariableIsEmpty("ES_SCREENSHOT_DIR"))
            QSKIP("set ES_SCREENSHOT_DIR to save the views as PNGs");
        const QString path = m_dir.filePath(u"demo.db"_s);
        auto demo = createDemoStore(path, bankPack());
        QVERIFY2(demo, qPrintable(demo.error().message));
        auto session = open(path);
        QVERIFY(session);
        WhatIfView view;
        view.resize(1500, 860);
        view.setSession(session.get());
        view.show();
        view.forkAt(60);
        QTRY_VERIFY(view.sandbox()->isReady() && !view.sandbox()->isBusy());
        // Skip Alice's first deposit, then withdraw in the fork.
        int row = -1;
        for (int r = 0; r < view.eventsModel()->rowCount() && row < 0; ++r)
            if (view.eventsModel()->index(r, ForkEventsModel::TypeColumn).data().toString() == u"MoneyDeposited"_s &&
                view.eventsModel()->index(r, ForkEventsModel::StreamColumn).data().toString() == u"account-alice"_s)
                row = r;
        QVERIFY(row >= 0);
        QSignalSpy forked(view.sandbox(), &Sandbox::forked);
        setCheck(view.eventsModel(), row, false);
        QTRY_COMPARE(forked.size(), 1);
        auto *command = child<QComboBox>(&view, u"forkCommand"_s);
        command->setCurrentIndex(command->findText(u"Account.Deposit"_s));
        child<QLineEdit>(&view, u"forkStream"_s)->setText(u"account-alice"_s);
        child<QLineEdit>(&view, u"field:amount"_s)->setText(u"20"_s);
        QTest::mouseClick(child<QPushButton>(&view, u"issueButton"_s), Qt::LeftButton);
        child<QTableView>(&view, u"forkEvents"_s)->selectRow(row);
        view.compareStream(u"account-alice"_s);
        QApplication::processEvents(); // widgets added to a visible form show on the next loop pass
        shoot(&view, u"whatif.png"_s);
        child<QTabWidget>(&view, u"compareTabs"_s)->setCurrentIndex(1);
        QTest::mouseClick(child<QPushButton>(&view, u"compareReadModels"_s), Qt::LeftButton);
        QTRY_VERIFY2(child<QTableWidget>(&view, u"readModelRows"_s)->rowCount() > 0,
                     qPrintable(child<QLabel>(&view, u"sandboxStatus"_s)->text() + u" / "_s +
                                child<QLabel>(&view, u"readModelSummary"_s)->text()));
        shoot(&view, u"whatif-readmodels.png"_s);

        QTemporaryDir dir;
        DomainCompareView compare;
        compare.resize(1300, 800);
        compare.setSession(session.get());
        compare.show();
        child<QComboBox>(&compare, u"streamFilter"_s)->setCurrentIndex(0);
        QVERIFY(compare.setPackB(writeModifiedBank(dir.path())));
        QTest::mouseClick(child<QPushButton>(&compare, u"compareButton"_s), Qt::LeftButton);
        QTRY_VERIFY(compare.resultsModel()->rowCount() > 0 && !compare.engine()->isRunning());
        shoot(&compare, u"domaincompare.png"_s);
    }
};

QTEST_MAIN(TestWhatIf)
#include "tst_whatif.moc"
