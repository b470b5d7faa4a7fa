#include "connect/connectdialog.h"
#include "mainwindow.h"
#include "screenshottour.h"
#include "session.h"
#include "timeline/timelineview.h"
#include "settings.h"
#include "storeaddress.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QTimer>

using namespace Qt::StringLiterals;

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(u"Eventscope"_s);
    QApplication::setApplicationName(u"Eventscope"_s);
    QApplication::setApplicationVersion(u"0.1.0"_s);

    QCommandLineParser parser;
    parser.setApplicationDescription(u"Eventscope: a workbench for CQRS and event-sourced systems."_s);
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOption({u"read-only"_s, u"Open the store read-only."_s});
    parser.addOption({u"demo"_s, u"Open the demo store (created on first use)."_s});
    parser.addOption({u"domain"_s, u"The domain pack to load (a .js file)."_s, u"PACK"_s});
    parser.addOption({u"screenshot"_s, u"Save a picture of the window to FILE and quit."_s, u"FILE"_s});
    parser.addOption({u"screenshots"_s, u"Save pictures of the window and of each view into DIR and quit."_s,
                      u"DIR"_s});
    parser.addOption({u"connect"_s, u"Show the PostgreSQL connection form at start."_s});
    parser.addPositionalArgument(u"STORE"_s, u"The store to open: a file, or postgresql://user@host:port/database."_s);
    parser.process(app);

    MainWindow window;
    window.show();
    const QStringList args = parser.positionalArguments();
    if (!args.isEmpty())
        window.openStore(args.first(), parser.isSet(u"read-only"_s), false, parser.value(u"domain"_s));
    else if (parser.isSet(u"demo"_s))
        window.openDemoStore();
    else if (!Settings::lastStore().isEmpty() &&
             (QFile::exists(Settings::lastStore()) || es::StoreAddress::isPostgresUrl(Settings::lastStore())))
        window.openStore(Settings::lastStore(), Settings::lastStoreReadOnly());
    else
        window.openDemoStore();

    if (parser.isSet(u"connect"_s))
        window.showConnectDialog(false);
    if (parser.isSet(u"screenshots"_s))
        takeScreenshotTour(window, parser.value(u"screenshots"_s));
    if (parser.isSet(u"screenshot"_s) && parser.isSet(u"connect"_s)) {
        // The connection form itself (docs/connectDialog.png), once it has settled.
        const QString file = parser.value(u"screenshot"_s);
        QTimer::singleShot(200, &window, [] {
            if (auto *dialog = qobject_cast<es::ConnectDialog *>(QApplication::activeModalWidget()))
                dialog->testConnection(); // the picture shows what a test says
        });
        QTimer::singleShot(1500, &window, [file] {
            if (QWidget *dialog = QApplication::activeModalWidget())
                dialog->grab().save(file);
            QApplication::quit();
        });
    } else if (parser.isSet(u"screenshot"_s)) {
        const QString file = parser.value(u"screenshot"_s);
        QMetaObject::invokeMethod(
            &window,
            [&window, file] {
                window.grab().save(file);
                QApplication::quit();
            },
            Qt::QueuedConnection);
    }
    return app.exec();
}
