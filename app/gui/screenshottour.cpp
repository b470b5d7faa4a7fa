#include "screenshottour.h"

#include "asof/asofview.h"
#include "compare/domaincompareview.h"
#include "jsdomain.h"
#include "pipeline/pipelineview.h"
#include "mainwindow.h"
#include "session.h"
#include "timeline/timelineview.h"
#include "timetravel/timetravelview.h"
#include "whatif/whatifview.h"
#include "windowfit.h"

#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QJsonObject>
#include <QStandardPaths>
#include <QTimer>

using namespace Qt::StringLiterals;

namespace {

void grabDock(MainWindow &window, QWidget *view, const QString &dir)
{
    QDockWidget *dock = windowfit::dockOf(view);
    if (!dock)
        return;
    dock->show();
    dock->raise();
    QApplication::processEvents();
    view->grab().save(dir + u'/' + dock->objectName().remove(u"Dock"_s) + u".png"_s);
    Q_UNUSED(window);
}

// A variant of the session's pack whose withdrawals charge a fee of 1: replaying
// the same streams under both shows where the states part.
QString writeFeeVariant(const QString &packPath, const QString &dir)
{
    QFile in(packPath);
    if (!in.open(QIODevice::ReadOnly))
        return {};
    QString text = QString::fromUtf8(in.readAll());
    const QString from = u"MoneyWithdrawn(state, event) {\n                        return Object.assign({}, state, { balance: cents(state.balance - event.data.amount) });"_s;
    const int at = text.indexOf(from);
    if (at < 0)
        return {};
    text.replace(at, from.size(),
                 u"MoneyWithdrawn(state, event) {\n                        return Object.assign({}, state, { balance: cents(state.balance - event.data.amount - 1) });"_s);
    const QString out = dir + u"/bank-with-fees.js"_s;
    QFile f(out);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return {};
    f.write(text.toUtf8());
    return out;
}

void sendDemoCommands(es::Session *session, const QString &stream)
{
    auto run = [session](const QString &type, const QString &target, const QJsonObject &payload) {
        es::Command c;
        c.type = type;
        c.stream = target;
        c.payload = payload;
        c.metadata = {{u"actor"_s, u"trainer"_s}};
        session->execute(c);
    };
    run(u"Deposit"_s, stream, {{u"amount"_s, 250}});
    run(u"SendTransfer"_s, stream, {{u"to"_s, u"account-1"_s}, {u"amount"_s, 40}});
    run(u"Withdraw"_s, stream, {{u"amount"_s, 1e9}}); // rejected: insufficient funds
}

} // namespace

void takeScreenshotTour(MainWindow &window, const QString &dir)
{
    QDir().mkpath(dir);
    // Let the views load their first page, then select the newest event.
    QTimer::singleShot(1200, &window, [&window] {
        if (window.session())
            window.timeline()->revealPosition(window.session()->head());
    });
    QTimer::singleShot(1600, &window, [&window, dir] {
        es::Session *session = window.session();
        if (!session)
            return;
        const qint64 head = session->head();
        if (window.selectedPosition() > 0)
            window.timeTravel()->showReplay(window.selectedStream(), window.selectedVersion());
        window.asOf()->setAsOfPosition(std::max<qint64>(1, head / 2));
        window.asOf()->setProjection(u"Balances"_s);
        window.whatIf()->forkAt(std::max<qint64>(1, head * 3 / 4));
        if (session->domain()) {
            const QString variant = writeFeeVariant(session->packPath(), dir);
            if (!variant.isEmpty() && window.domainCompare()->setPackB(variant))
                window.domainCompare()->compare();
        }
        // A few commands animating through the pipeline (a transfer with its reaction, a rejection).
        QDockWidget *pipelineDock = windowfit::dockOf(window.pipeline());
        if (pipelineDock)
            pipelineDock->raise();
        if (session->pipeline() && !session->isReadOnly() && !window.selectedStream().isEmpty())
            sendDemoCommands(session, window.selectedStream());
    });
    QTimer::singleShot(3200, &window, [&window, dir] { grabDock(window, window.pipeline(), dir); });
    QTimer::singleShot(6500, &window, [&window, dir] {
        window.grab().save(dir + u"/main.png"_s);
        const auto docks = window.findChildren<QDockWidget *>();
        for (QDockWidget *d : docks) {
            if (d->isHidden() || d->widget() == window.pipeline())
                continue;
            grabDock(window, d->widget(), dir);
        }
        QFile::remove(dir + u"/bank-with-fees.js"_s);
        QApplication::quit();
    });
}
