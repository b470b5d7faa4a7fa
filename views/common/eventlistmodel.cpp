#include "eventlistmodel.h"

#include <QFont>

using namespace Qt::StringLiterals;

namespace es {

EventListModel::EventListModel(QObject *parent)
    : RowTableModel<RecordedEvent>(parent)
{
    setHeaders({tr("#"), tr("Stream"), tr("Version"), tr("Type"), tr("Recorded (UTC)"), tr("Data")},
               {tr("Global position"), {}, tr("Version in its stream"), {}, {}, {}});
}

QString EventListModel::dataSummary(const RecordedEvent &event, int maxLength)
{
    QString text = QString::fromUtf8(event.data);
    if (text.size() > maxLength)
        text = text.left(maxLength - 1) + u'…';
    return text;
}

QVariant EventListModel::rowData(const RecordedEvent &e, int column, int role) const
{
    if (role == PositionRole)
        return e.position;
    if (role == Qt::DisplayRole) {
        switch (column) {
        case PositionColumn:
            return e.position;
        case StreamColumn:
            return e.stream;
        case VersionColumn:
            return e.version;
        case TypeColumn:
            return e.type;
        case RecordedColumn:
            return e.recorded().toString(u"yyyy-MM-dd HH:mm:ss.zzz"_s);
        case DataColumn:
            return dataSummary(e);
        default:
            return {};
        }
    }
    if (role == Qt::ToolTipRole) {
        if (column == DataColumn)
            return QString::fromUtf8(e.data);
        if (column == RecordedColumn)
            return e.recordedIso();
        return tr("Event %1\nDouble-click to show it in the timeline").arg(e.eventId);
    }
    if (role == Qt::TextAlignmentRole && (column == PositionColumn || column == VersionColumn))
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::FontRole && column == TypeColumn) {
        QFont f;
        f.setBold(true);
        return f;
    }
    return {};
}

} // namespace es
