#include "streamsfilterproxy.h"

#include "streamsmodel.h"

namespace es {

StreamsFilterProxy::StreamsFilterProxy(QObject *parent)
    : QSortFilterProxyModel(parent)
{
    setSortRole(StreamsModel::SortRole);
    setDynamicSortFilter(true);
}

void StreamsFilterProxy::setFilter(const QString &text, Mode mode)
{
    if (text == m_text && mode == m_mode)
        return;
    m_text = text;
    m_mode = mode;
    invalidateFilter();
}

bool StreamsFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (m_text.isEmpty())
        return true;
    const QAbstractItemModel *m = sourceModel();
    const QString stream = m->index(sourceRow, StreamsModel::StreamColumn, sourceParent).data().toString();
    if (m_mode == Mode::Prefix)
        return stream.startsWith(m_text, Qt::CaseInsensitive);
    if (stream.contains(m_text, Qt::CaseInsensitive))
        return true;
    return m->index(sourceRow, StreamsModel::TypeColumn, sourceParent).data().toString().contains(
        m_text, Qt::CaseInsensitive);
}

int StreamsFilterProxy::naturalCompare(QStringView a, QStringView b)
{
    qsizetype i = 0;
    qsizetype j = 0;
    while (i < a.size() && j < b.size()) {
        if (a.at(i).isDigit() && b.at(j).isDigit()) {
            qsizetype ei = i;
            qsizetype ej = j;
            while (ei < a.size() && a.at(ei).isDigit())
                ++ei;
            while (ej < b.size() && b.at(ej).isDigit())
                ++ej;
            // Compare by value without overflow: strip leading zeros, then length, then digits.
            QStringView da = a.sliced(i, ei - i);
            QStringView db = b.sliced(j, ej - j);
            while (da.size() > 1 && da.front() == u'0')
                da = da.sliced(1);
            while (db.size() > 1 && db.front() == u'0')
                db = db.sliced(1);
            if (da.size() != db.size())
                return da.size() < db.size() ? -1 : 1;
            if (const int c = da.compare(db); c != 0)
                return c;
            i = ei;
            j = ej;
            continue;
        }
        const QChar ca = a.at(i).toCaseFolded();
        const QChar cb = b.at(j).toCaseFolded();
        if (ca != cb)
            return ca < cb ? -1 : 1;
        ++i;
        ++j;
    }
    if (i < a.size() || j < b.size())
        return i < a.size() ? 1 : -1;
    return a.compare(b); // equal but for case or leading zeros: keep a stable order
}

bool StreamsFilterProxy::lessThan(const QModelIndex &left, const QModelIndex &right) const
{
    const QVariant l = left.data(sortRole());
    const QVariant r = right.data(sortRole());
    if (l.typeId() == QMetaType::QString)
        return naturalCompare(l.toString(), r.toString()) < 0;
    return l.toLongLong() < r.toLongLong();
}

} // namespace es
