// The PostgreSQL connection form: the URL its fields make (never with the
// password), the connection test, and opening a store through it in the real
// main window (title and settings show the address without the password).
// The opening half needs the test server of scripts/test.sh (ES_TEST_PG_URL):
// without it that test fails with the reason, it never skips.

#include "connect/connectdialog.h"
#include "eventstore.h"
#include "session.h"
#include "storeaddress.h"
#include "storesupport.h"
#include "testsupport.h"

#include "../app/gui/mainwindow.h"

#include <QAbstractButton>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QLineEdit>
#include <QMenuBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTest>
#include <QUrl>

using namespace Qt::StringLiterals;

class TestConnectDialog : public QObject {
    Q_OBJECT

private:
    template <typename T> static T *field(QWidget *dialog, const QString &name)
    {
        auto *w = dialog->findChild<T *>(name);
        if (!w)
            qFatal("no field %s", qPrintable(name));
        return w;
    }
    static QAction *fileAction(MainWindow &w, const QString &text)
    {
        for (QAction *m : w.menuBar()->actions()) {
            if (m->text().remove(u'&') != u"File"_s || !m->menu())
                continue;
            for (QAction *a : m->menu()->actions())
                if (a->text().remove(u'&').startsWith(text))
                    return a;
        }
        return nullptr;
    }
    static QStringList allSettingValues()
    {
        QSettings s;
        QStringList out;
        for (const QString &key : s.allKeys()) {
            const QVariant v = s.value(key);
            out << key + u'=' + (v.typeId() == QMetaType::QStringList ? v.toStringList().join(u',') : v.toString());
        }
        return out;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(u"EventscopeTest"_s);
        QCoreApplication::setApplicationName(u"tst_connectdialog"_s);
        QSettings().clear();
        qputenv("EVENTSCOPE_NO_DIALOGS", "1");
        qputenv("ES_TEST_BACKEND", "postgresql"); // TestStores: databases on the test server
    }

    void fieldsMakeTheUrl()
    {
        es::ConnectDialog d;
        field<QLineEdit>(&d, u"host"_s)->setText(u"db.example.org"_s);
        field<QSpinBox>(&d, u"port"_s)->setValue(6543);
        field<QLineEdit>(&d, u"database"_s)->setText(u"ledger"_s);
        field<QLineEdit>(&d, u"user"_s)->setText(u"auditor"_s);
        field<QLineEdit>(&d, u"password"_s)->setText(u"s3cret"_s);
        QCOMPARE(d.url(), u"postgresql://auditor@db.example.org:6543/ledger"_s);
        QCOMPARE(field<QLineEdit>(&d, u"url"_s)->text(), d.url());
        QCOMPARE(d.password(), u"s3cret"_s);

        field<QLineEdit>(&d, u"socketDir"_s)->setText(u"/var/run/postgresql"_s);
        auto *ssl = field<QComboBox>(&d, u"sslMode"_s);
        ssl->setCurrentIndex(ssl->findData(u"require"_s));
        const auto parsed = es::StoreAddress::parse(d.url());
        QVERIFY2(parsed, qPrintable(parsed ? QString() : parsed.error().message));
        QVERIFY(parsed->isPostgres());
        QCOMPARE(parsed->database(), u"ledger"_s);
        QCOMPARE(parsed->user(), u"auditor"_s);
        QVERIFY(d.url().contains(u"sslmode=require"_s));
        QVERIFY(d.url().contains(u"host=/var/run/postgresql"_s) || d.url().contains(u"host=%2Fvar"_s));
        QVERIFY(!d.url().contains(u"s3cret"_s));
    }

    void aPastedUrlFillsTheFieldsButKeepsItsPasswordOut()
    {
        es::ConnectDialog d;
        QVERIFY(d.setUrl(u"postgresql://ann:pw123@pg.local:5544/events?sslmode=disable"_s));
        QCOMPARE(field<QLineEdit>(&d, u"host"_s)->text(), u"pg.local"_s);
        QCOMPARE(field<QSpinBox>(&d, u"port"_s)->value(), 5544);
        QCOMPARE(field<QLineEdit>(&d, u"database"_s)->text(), u"events"_s);
        QCOMPARE(field<QLineEdit>(&d, u"user"_s)->text(), u"ann"_s);
        QCOMPARE(d.password(), u"pw123"_s);
        QCOMPARE(d.url(), u"postgresql://ann@pg.local:5544/events?sslmode=disable"_s);
        QVERIFY(!d.setUrl(u"/tmp/file.db"_s));

        // Typed into the URL field.
        auto *urlEdit = field<QLineEdit>(&d, u"url"_s);
        urlEdit->setFocus();
        urlEdit->selectAll();
        QTest::keyClicks(urlEdit, u"postgresql://bo@other:5433/db2"_s);
        QCOMPARE(field<QLineEdit>(&d, u"database"_s)->text(), u"db2"_s);
        QCOMPARE(field<QLineEdit>(&d, u"user"_s)->text(), u"bo"_s);
    }

    void openNeedsADatabase()
    {
        es::ConnectDialog d;
        field<QLineEdit>(&d, u"database"_s)->clear();
        auto *buttons = d.findChild<QDialogButtonBox *>();
        QVERIFY(buttons);
        QVERIFY(!buttons->button(QDialogButtonBox::Open)->isEnabled());
        QVERIFY(!field<QPushButton>(&d, u"test"_s)->isEnabled());
        field<QLineEdit>(&d, u"database"_s)->setText(u"x"_s);
        QVERIFY(buttons->button(QDialogButtonBox::Open)->isEnabled());
    }

    void testConnectionReportsAnUnreachableServer()
    {
        es::ConnectDialog d;
        // A socket directory with no server in it: fails at once, no network wait.
        QVERIFY(d.setUrl(u"postgresql://nobody@localhost:5999/nothing?host=/nonexistent-socket-dir"_s));
        QSignalSpy done(&d, &es::ConnectDialog::testFinished);
        field<QPushButton>(&d, u"test"_s)->click();
        QTRY_COMPARE_WITH_TIMEOUT(done.size(), 1, 15000);
        QCOMPARE(done.at(0).at(0).toBool(), false);
        QVERIFY2(d.testResult().contains(u"cannot connect"_s), qPrintable(d.testResult()));
        QVERIFY(!d.testResult().contains(u"password="_s));
    }

    void opensAPostgresStoreFromTheMenu()
    {
        TestStores stores;
        ES_STORE_LOCATION(location, stores, u"dialog"_s);
        {
            auto created = es::EventStore::open(location, es::EventStore::Mode::Create);
            QVERIFY2(created, qPrintable(created ? QString() : created.error().message));
        }
        // The same address with a password in it (the test server trusts, so any will do).
        QUrl withPassword(location);
        withPassword.setPassword(u"hunter2"_s);

        MainWindow w;
        w.show();
        QAction *open = fileAction(w, u"Open PostgreSQL Store"_s);
        QVERIFY(open);
        QCOMPARE(open->shortcut(), QKeySequence(u"Ctrl+Alt+O"_s));
        open->trigger();
        auto *d = w.findChild<es::ConnectDialog *>();
        QVERIFY(d);
        QVERIFY(d->isVisible());
        QVERIFY(d->setUrl(withPassword.toString()));
        QCOMPARE(d->url(), location);

        QSignalSpy tested(d, &es::ConnectDialog::testFinished);
        field<QPushButton>(d, u"test"_s)->click();
        QTRY_COMPARE_WITH_TIMEOUT(tested.size(), 1, 15000);
        QVERIFY2(tested.at(0).at(0).toBool(), qPrintable(d->testResult()));
        QVERIFY2(d->testResult().contains(u"empty Eventscope store"_s), qPrintable(d->testResult()));

        field<QCheckBox>(d, u"readOnly"_s)->setChecked(true);
        d->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Open)->click();
        QTRY_VERIFY(w.session());
        QVERIFY2(w.lastError().isEmpty(), qPrintable(w.lastError()));
        QVERIFY(w.session()->isReadOnly());
        QVERIFY(w.session()->store()->isPostgres());
        const QString shown = w.session()->store()->displayName();
        QCOMPARE(shown, location);
        QVERIFY(w.windowTitle().contains(shown));
        QVERIFY(!w.windowTitle().contains(u"hunter2"_s));

        const QStringList settings = allSettingValues();
        QVERIFY2(settings.join(u' ').contains(shown), qPrintable(settings.join(u'\n')));
        QVERIFY2(!settings.join(u' ').contains(u"hunter2"_s), qPrintable(settings.join(u'\n')));

        // The next time, the form offers the connection (without its password).
        w.showConnectDialog(false);
        const auto dialogs = w.findChildren<es::ConnectDialog *>();
        es::ConnectDialog *again = nullptr;
        for (es::ConnectDialog *c : dialogs)
            if (c->isVisible())
                again = c;
        QVERIFY(again);
        QCOMPARE(again->url(), location);
        QVERIFY(again->password().isEmpty());
        QVERIFY(field<QComboBox>(again, u"recent"_s)->count() >= 2);
        again->reject();
    }
};

QTEST_MAIN(TestConnectDialog)
#include "tst_connectdialog.moc"
