#pragma once

#include <QSortFilterProxyModel>
#include <QStringList>

namespace es {

// A sort/filter proxy that orders text the way people count (account-2 before
// account-10) and numbers by value.
class NaturalSortProxy : public QSortFilterProxyModel {
    Q_OBJECT
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;

    // The same order for a plain list (completions).
    static void sort(QStringList &list);

protected:
    bool lessThan(const QModelIndex &left, const QModelIndex &right) const override;
};

} // namespace es
