#pragma once

#include "blame.h"
#include "common/rowtablemodel.h"

namespace es {

// The differences an event made to the state: path, kind, before, after.
class StateChangesModel : public RowTableModel<PathChange> {
    Q_OBJECT
public:
    enum Column { PathColumn, ChangeColumn, BeforeColumn, AfterColumn };
    explicit StateChangesModel(QObject *parent = nullptr);

protected:
    QVariant rowData(const PathChange &row, int column, int role) const override;
};

} // namespace es
