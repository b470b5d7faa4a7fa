#include "naturalsortproxy.h"

#include "streams/streamsfilterproxy.h"

#include <algorithm>

namespace es {

void NaturalSortProxy::sort(QStringList &list)
{
    std::sort(list.begin(), list.end(),
              [](const QString &a, const QString &b) { return StreamsFilterProxy::naturalCompare(a, b) < 0; });
}

bool NaturalSortProxy::lessThan(const QModelIndex &left, const QModelIndex &right) const
{
    const QVariant l = left.data(sortRole());
    const QVariant r = right.data(sortRole());
    if (l.typeId() == QMetaType::QString && r.typeId() == QMetaType::QString)
        return StreamsFilterProxy::naturalCompare(l.toString(), r.toString()) < 0;
    return QSortFilterProxyModel::lessThan(left, right);
}

} // namespace es
