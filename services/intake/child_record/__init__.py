"""One child's record for the child's page (issue 23, item 2): who the child is and all intake holds about them."""
