package share

import (
	"context"
	"fmt"
)

// itemSortNames are the wire names of the orders of [ItemSort].
var itemSortNames = [...]string{SortByCreated: "created", SortBySize: "size", SortByID: "id"}

// String returns the order's wire name: "created", "size" or "id".
func (s ItemSort) String() string {
	if s >= 0 && int(s) < len(itemSortNames) {
		return itemSortNames[s]
	}
	return fmt.Sprintf("ItemSort(%d)", int(s))
}

// ParseItemSort returns the order a wire name ([ItemSort.String]) names;
// ErrInvalid for any other.
func ParseItemSort(name string) (ItemSort, error) {
	for s, n := range itemSortNames {
		if n == name {
			return ItemSort(s), nil
		}
	}
	return 0, invalid("listing sort")
}

// Items returns a page of actor's own live items in order sort: up to
// limit (1 to [MaxPageSize]) after the cursor after ("" for the first
// page), and the cursor of the next page, "" once the listing is done. A
// cursor is what an earlier page returned; it names an item's place in the
// order, so items created or deleted between pages neither repeat nor shift
// the rest. Only server-known fields sort: the stores never see plaintext.
// A bad sort, cursor or limit is ErrInvalid. Items shared with actor are
// listed by [Service.Received], not here.
func (s *Service) Items(ctx context.Context, actor string, sort ItemSort, after string, limit int) (items []*Item, next string, err error) {
	if err := CheckPage(sort, after, limit); err != nil {
		return nil, "", err
	}
	items, err = s.Stores.Items.OwnedItems(ctx, actor, sort, after, limit)
	if err != nil {
		return nil, "", err
	}
	if len(items) == limit {
		next = sort.Cursor(items[len(items)-1])
	}
	return items, next, nil
}

// Items calls [Service.Items] as l.Actor.
func (l Local) Items(ctx context.Context, sort ItemSort, after string, limit int) ([]*Item, string, error) {
	return l.Service.Items(ctx, l.Actor, sort, after, limit)
}

// Usage returns what actor's items hold in the stores, as the quota counts
// it ([ItemCharge], [DeletedCharge]), and the most they may hold
// ([Service.Quota]; a zero field is no limit), so that a server can show
// storage used against the quota. Uploads still in flight are not counted.
func (s *Service) Usage(ctx context.Context, actor string) (used, limit Usage, err error) {
	if s.Stores.Usage == nil {
		return Usage{}, Usage{}, errNoTx
	}
	if used, err = s.Stores.Usage.Usage(ctx, actor); err != nil {
		return Usage{}, Usage{}, err
	}
	if limit, err = s.quota(ctx, actor); err != nil {
		return Usage{}, Usage{}, err
	}
	return used, limit, nil
}

// Usage calls [Service.Usage] as l.Actor.
func (l Local) Usage(ctx context.Context) (used, limit Usage, err error) {
	return l.Service.Usage(ctx, l.Actor)
}
