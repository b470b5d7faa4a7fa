#pragma once

#include "common/rowtablemodel.h"
#include "projectiontypes.h"

namespace es {

// The sample changes of a rebuild's diff: added, removed, changed rows with
// the fields that differ, before and after.
class RowDiffModel : public RowTableModel<RowChange> {
    Q_OBJECT
public:
    enum Column { ChangeColumn, KeyColumn, BeforeColumn, AfterColumn, ColumnCount };
    explicit RowDiffModel(QObject *parent = nullptr);

    // "field: value, ..." of the fields of `side` that differ from `other` (all of them when other is empty).
    static QString describe(const QJsonObject &side, const QJsonObject &other);

protected:
    QVariant rowData(const RowChange &row, int column, int role) const override;
};

} // namespace es
