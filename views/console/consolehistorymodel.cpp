#include "consolehistorymodel.h"

#include "common/outcomestyle.h"

#include <QBrush>
#include <QJsonDocument>

using namespace Qt::StringLiterals;

namespace es {

ConsoleHistoryModel::ConsoleHistoryModel(QObject *parent)
    : RowTableModel<ConsoleHistoryEntry>(parent)
{
    setHeaders({tr("Sent"), tr("Command"), tr("Stream"), tr("Outcome")});
}

QVariant ConsoleHistoryModel::rowData(const ConsoleHistoryEntry &e, int column, int role) const
{
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case TimeColumn:
            return QDateTime::fromMSecsSinceEpoch(e.sentMs).toString(u"HH:mm:ss"_s);
        case CommandColumn:
            return e.commandName;
        case StreamColumn:
            return e.command.stream;
        case OutcomeColumn:
            if (e.mark != outcomestyle::EventMark::None)
                return QString(outcomestyle::symbol(e.mark) + u' ' + outcomestyle::title(e.mark));
            return QString(outcomestyle::symbol(e.outcome) + u' ' + outcomestyle::title(e.outcome));
        }
        return {};
    case Qt::ForegroundRole:
        if (column != OutcomeColumn)
            return {};
        return QBrush(e.mark != outcomestyle::EventMark::None ? outcomestyle::foreground(e.mark)
                                                             : outcomestyle::foreground(e.outcome));
    case Qt::ToolTipRole: {
        QString tip = u"%1.%2 → %3"_s.arg(e.aggregate, e.commandName, e.command.stream);
        if (e.command.expectedVersion)
            tip += u'\n' + tr("expected version %1").arg(*e.command.expectedVersion);
        tip += u'\n' + tr("Double-click to load it into the form");
        if (!e.summary.isEmpty())
            tip += u"\n\n"_s + e.summary;
        return tip;
    }
    default:
        return {};
    }
}

} // namespace es
