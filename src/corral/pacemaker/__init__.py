"""corral.pacemaker"""
