#pragma once

#include <QSortFilterProxyModel>

namespace es {

// Filters streams by id (contains, or starts with) or type, and sorts ids
// the way people count: account-2 before account-10.
class StreamsFilterProxy : public QSortFilterProxyModel {
    Q_OBJECT
public:
    enum class Mode { Contains, Prefix };

    explicit StreamsFilterProxy(QObject *parent = nullptr);

    void setFilter(const QString &text, Mode mode);
    QString filterText() const { return m_text; }
    // Compares runs of digits by value and the rest case-insensitively:
    // account-2 < account-10. (QCollator's numeric mode does nothing in the C locale.)
    static int naturalCompare(QStringView a, QStringView b);
    Mode mode() const { return m_mode; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;
    bool lessThan(const QModelIndex &left, const QModelIndex &right) const override;

private:
    QString m_text;
    Mode m_mode = Mode::Contains;
};

} // namespace es
