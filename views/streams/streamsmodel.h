#pragma once

#include "common/rowtablemodel.h"
#include "types.h"

#include <QHash>

#include <functional>

namespace es {

// One row per stream: id, aggregate type, version, last activity. Follows
// appends in place: a known stream's row changes, a new stream is appended.
class StreamsModel : public RowTableModel<StreamInfo> {
    Q_OBJECT
public:
    enum Column { StreamColumn, TypeColumn, VersionColumn, LastActivityColumn };
    enum Role { SortRole = Qt::UserRole + 1, StreamRole };

    explicit StreamsModel(QObject *parent = nullptr);

    int rowOf(const QString &stream) const { return m_rowOf.value(stream, -1); }
    // typeOf names the aggregate type of a stream the model has not seen yet.
    void applyEvents(const EventList &events, const std::function<QString(const QString &)> &typeOf);

protected:
    QVariant rowData(const StreamInfo &info, int column, int role) const override;
    void rowsReplaced() override;
    void rowsAppended(int first) override;

private:
    QHash<QString, int> m_rowOf;
};

} // namespace es
