#pragma once

#include "types.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QSet>

namespace es {

class EventStore;

// The events of a what-if fork: the original's events 1..P, each with a check
// box (unchecked: skipped in the fork), then the events that commands issued
// in the fork appended ("new"). Original rows are read from the original store
// a page at a time, so a fork of millions of events lists at once.
class ForkEventsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { InForkColumn, PositionColumn, StreamColumn, VersionColumn, TypeColumn, DataColumn, ColumnCount };
    enum Role {
        PositionRole = Qt::UserRole + 1, // the position in its own store (original or fork)
        StreamRole,
        IsNewRole, // true for an event only the fork has
    };

    explicit ForkEventsModel(QObject *parent = nullptr);

    // original: read for rows 1..position (this thread's connection). newEvents: the fork's own.
    void setFork(EventStore *original, qint64 position, const QSet<qint64> &skipped, const EventList &newEvents);
    void clear();
    void setSkipped(const QSet<qint64> &skipped);
    QSet<qint64> skipped() const { return m_skipped; }
    qint64 position() const { return m_position; }
    // The row of an original position (0-based), or -1.
    int rowOfPosition(qint64 position) const;
    RecordedEvent eventAt(int row) const;
    bool isNew(int row) const { return row >= m_position; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

Q_SIGNALS:
    // The user checked (included = true) or unchecked an original event.
    void inclusionToggled(qint64 position, bool included);

private:
    static constexpr int PageSize = 256;
    static constexpr int MaxPages = 64;
    const RecordedEvent *original(qint64 position) const;

    EventStore *m_original = nullptr;
    qint64 m_position = 0;
    QSet<qint64> m_skipped;
    EventList m_new;
    mutable QHash<qint64, EventList> m_pages; // page number -> events
};

} // namespace es
